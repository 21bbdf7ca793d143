/**
 * Measured choice of what computes scores, in the Worker. The choices: 'plain' (the SDK's
 * own TypeScript loop, no tfjs) and the tfjs backends in priority order (webgpu only when
 * an adapter exists, ranked after webgl/wasm when it is a software fallback such as
 * SwiftShader, whose speed says nothing about real hardware). tfjs and each backend are
 * imported only when probed or chosen (worker-tfjs-load.ts). `setBackend` resolving false
 * counts as failure; a short product shaped like scoring the catalogue is timed on each
 * working candidate and the fastest wins. A forced backend is used as is or fails with a
 * typed error. 'auto' starts on plain without measuring (so nothing of tfjs is fetched
 * before the first recommendation); worker-backend-takeover.ts measures later, with
 * probeBackends() or, when a choice is remembered, loadBackend(). The inner loop always
 * runs in plain TypeScript (src/model/plain-tower.ts).
 */
import { LocalrecError } from '../errors';
import { scoreItems } from '../model/plain-scores';
import type { ItemTable } from '../model/plain-tower';
import { PlainScorer, type Scorer } from '../model/scorer';
import { BACKEND_NAMES, type BackendName, type BackendProbe, type BackendSource, type TfjsBackendName } from './types';
import { loadTfjs } from './worker-tfjs-load';

export interface BackendChoice {
  name: BackendName;
  forced: boolean;
  source: BackendSource;
  probes: BackendProbe[];
  /** Wall time of the whole choice: adapter query, imports, backend initialisation, probes. */
  initMs: number;
  /** Makes the scorer of a session on the chosen backend. */
  scorer(items: ItemTable): Scorer;
  /** Bytes held by tfjs on the chosen backend (0 for 'plain'). */
  tfjsBytes(): number;
}

/** Width of the probe's item table (the models' d). */
const PROBE_D = 32;

interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: { architecture?: string; vendor?: string };
}

/** Whether a WebGPU adapter exists, and whether it is a software one. */
async function webgpuAdapter(): Promise<{ ok: boolean; software: boolean; reason?: string }> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu;
  if (!gpu) return { ok: false, software: false, reason: 'navigator.gpu is not available' };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { ok: false, software: false, reason: 'navigator.gpu.requestAdapter() returned no adapter' };
    const software = adapter.isFallbackAdapter === true || adapter.info?.architecture === 'swiftshader';
    return { ok: true, software };
  } catch (e) {
    return { ok: false, software: false, reason: `requestAdapter failed: ${String(e)}` };
  }
}

/** Median of three timed runs after a warm-up (which compiles shaders / warms caches). */
async function medianOf3(run: () => Promise<number>): Promise<number> {
  await run();
  const times = [await run(), await run(), await run()].sort((x, y) => x - y);
  return times[1];
}

let lastProbeTable: ItemTable | null = null;

/** A deterministic table of `rows` rows, shared by the probes of one choice. */
function probeTable(rows: number): ItemTable {
  if (lastProbeTable?.n !== rows) {
    const out = new Float32Array(rows * PROBE_D);
    for (let i = 0; i < out.length; i++) out[i] = ((i * 7919) % 13) / 13 - 0.5;
    lastProbeTable = { n: rows, d: PROBE_D, out, bias: new Float32Array(rows) };
  }
  return lastProbeTable;
}

const probeUser = () => Float32Array.from({ length: PROBE_D }, (_, i) => Math.sin(i));

async function probePlain(rows: number): Promise<BackendProbe> {
  const table = probeTable(rows);
  const u = probeUser();
  const ms = await medianOf3(async () => {
    const t0 = performance.now();
    scoreItems(u, 1, table);
    return performance.now() - t0;
  });
  return { name: 'plain', ok: true, ms: Math.round(ms * 1000) / 1000 };
}

async function tryTfjs(name: TfjsBackendName, wasmPath: string | null, rows: number): Promise<BackendProbe> {
  try {
    const { tf, registerBackend, TfjsScorer } = await loadTfjs();
    await registerBackend[name](wasmPath);
    if (!tf.findBackendFactory(name)) return { name, ok: false, reason: `the ${name} backend is not registered in this context` };
    const ok = await tf.setBackend(name);
    if (!ok) return { name, ok: false, reason: `tf.setBackend('${name}') resolved false (initialisation failed)` };
    await tf.ready();
    const scorer = new TfjsScorer(probeTable(rows));
    const u = probeUser();
    try {
      const ms = await medianOf3(async () => {
        const t0 = performance.now();
        await scorer.scores(u, 1);
        return performance.now() - t0;
      });
      return { name, ok: true, ms: Math.round(ms * 1000) / 1000 };
    } finally {
      scorer.dispose();
    }
  } catch (e) {
    return { name, ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

/** Times the probe and turns a choice into a BackendChoice (the probe table is dropped: up to 12.8 MB at 100k rows). */
async function timed(source: BackendSource, run: () => Promise<Pick<BackendChoice, 'name' | 'probes'>>): Promise<BackendChoice> {
  const t0 = performance.now();
  let choice: Pick<BackendChoice, 'name' | 'probes'>;
  try {
    choice = await run();
  } finally {
    lastProbeTable = null;
  }
  const initMs = Math.round((performance.now() - t0) * 10) / 10;
  const base = { ...choice, source, forced: source === 'forced', initMs };
  if (choice.name === 'plain') return { ...base, scorer: (t) => new PlainScorer(t), tfjsBytes: () => 0 };
  const { tf, TfjsScorer } = await loadTfjs();
  return { ...base, scorer: (t) => new TfjsScorer(t), tfjsBytes: () => tf.memory().numBytes };
}

/**
 * What computes scores from the start: a forced backend, measured once at the loaded
 * catalogue's size (`items` rows, at least 4096); for 'auto', plain at once and unmeasured
 * (`source: 'pending'`), without touching tfjs.
 */
export async function chooseBackend(requested: BackendName | 'auto', wasmPath: string | null, items = 4096): Promise<BackendChoice> {
  if (requested === 'auto') return timed('pending', async () => ({ name: 'plain', probes: [] }));
  const rows = Math.max(4096, items);
  return timed('forced', () => forced(requested, wasmPath, rows));
}

/** 'auto''s measurement: every candidate probed at the catalogue's size, the fastest chosen (and made tfjs's backend). */
export function probeBackends(wasmPath: string | null, items: number): Promise<BackendChoice> {
  return timed('probed', () => probeAll(wasmPath, Math.max(4096, items)));
}

/**
 * A choice remembered from an earlier visit, loaded alone: only its own files are fetched.
 * Throws `backend-unavailable` when it no longer works (the caller probes again).
 */
export function loadBackend(name: BackendName, wasmPath: string | null, items: number): Promise<BackendChoice> {
  const rows = Math.max(4096, items);
  return timed('remembered', async () => {
    const p = name === 'plain' ? await probePlain(rows) : await tryTfjs(name, wasmPath, rows);
    if (!p.ok) throw new LocalrecError('backend-unavailable', `the remembered backend "${name}" failed: ${p.reason}`, { backend: name });
    return { name, probes: [p] };
  });
}

async function forced(requested: BackendName, wasmPath: string | null, rows: number): Promise<Pick<BackendChoice, 'name' | 'probes'>> {
  if (requested === 'plain') return { name: 'plain', probes: [await probePlain(rows)] };
  if (requested === 'webgpu') {
    const gpu = await webgpuAdapter();
    if (!gpu.ok) throw new LocalrecError('backend-unavailable', `backend "webgpu" was requested but ${gpu.reason}`, { backend: requested });
  }
  const p = await tryTfjs(requested, wasmPath, rows);
  if (!p.ok) throw new LocalrecError('backend-unavailable', `backend "${requested}" was requested but failed: ${p.reason}`, { backend: requested });
  return { name: requested, probes: [p] };
}

async function probeAll(wasmPath: string | null, rows: number): Promise<Pick<BackendChoice, 'name' | 'probes'>> {
  const gpu = await webgpuAdapter();
  const probes: BackendProbe[] = [await probePlain(rows)];
  let order: TfjsBackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
  if (!gpu.ok) {
    order = order.filter((b) => b !== 'webgpu');
    probes.push({ name: 'webgpu', ok: false, reason: gpu.reason });
  } else if (gpu.software) {
    // A software adapter is last resort before cpu: only tried when webgl and wasm both fail.
    order = ['webgl', 'wasm', 'webgpu', 'cpu'];
  }
  // Start every candidate's download at once; each probe below then waits only for its own chunk.
  for (const name of order) void loadTfjs().then((m) => m.registerBackend[name](wasmPath)).catch(() => undefined);
  for (const name of order) {
    if (name === 'webgpu' && gpu.software && probes.some((p) => p.ok && p.name !== 'plain')) {
      probes.push({ name, ok: false, reason: 'software WebGPU adapter (SwiftShader/fallback) ranked below webgl and wasm' });
      continue;
    }
    probes.push(await tryTfjs(name, wasmPath, rows));
  }
  const working = probes.filter((p) => p.ok).sort((a, b) => (a.ms ?? Infinity) - (b.ms ?? Infinity));
  const best = working[0].name; // 'plain' always works
  for (const p of probes) if (p.ok && p.name !== best) p.reason = `slower probe than ${best}`;
  if (best !== 'plain') {
    const { tf } = await loadTfjs();
    if (!(await tf.setBackend(best))) throw new LocalrecError('backend-unavailable', `tf.setBackend('${best}') failed after a successful probe`);
  }
  return { name: best, probes: BACKEND_NAMES.map((n) => probes.find((p) => p.name === n)!).filter(Boolean) };
}
