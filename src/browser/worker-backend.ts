/**
 * Measured backend choice, in the Worker. Candidates in priority order (webgpu only when
 * an adapter exists, ranked after webgl/wasm when it is a software fallback such as
 * SwiftShader, whose speed says nothing about real hardware); `setBackend` resolving
 * false counts as failure; a short matmul shaped like scoring is timed on each working
 * candidate and the fastest wins. A forced backend is used as is or fails with a typed error.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { LocalrecError } from '../errors';
import { BACKEND_NAMES, type BackendName, type BackendProbe } from './types';
import { defaultWasmFiles } from './worker-wasm-files';

export interface BackendChoice {
  name: BackendName;
  forced: boolean;
  probes: BackendProbe[];
  /** Wall time of the whole choice: adapter query, backend initialisation, probes. */
  initMs: number;
}

/**
 * Every binary tfjs may ask for: it picks the threaded one only when the page is
 * cross-origin isolated, which an embed cannot demand, so most pages load a non-threaded one.
 */
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;

let wasmPathSet: string | null | undefined;

function configureWasm(requested: string | null): void {
  if (wasmPathSet === requested) return;
  const base = requested === null ? null : requested.endsWith('/') ? requested : `${requested}/`;
  setWasmPaths(base === null ? defaultWasmFiles(WASM_FILES) : Object.fromEntries(WASM_FILES.map((f) => [f, base + f])));
  wasmPathSet = requested;
}

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

/** Median of a few timed runs of a 1×32 · 32×4096 matmul (the shape of scoring a catalogue), after a warm-up. */
async function probe(): Promise<number> {
  const a = tf.tensor2d(Float32Array.from({ length: 32 }, (_, i) => Math.sin(i)), [1, 32]);
  const b = tf.tensor2d(Float32Array.from({ length: 32 * 4096 }, (_, i) => Math.cos(i)), [4096, 32]);
  const run = async () => {
    const t0 = performance.now();
    const r = tf.matMul(a, b, false, true);
    await r.data();
    r.dispose();
    return performance.now() - t0;
  };
  try {
    await run(); // compiles shaders / warms caches
    const times = [await run(), await run(), await run()].sort((x, y) => x - y);
    return times[1];
  } finally {
    tf.dispose([a, b]);
  }
}

async function tryBackend(name: BackendName): Promise<BackendProbe> {
  try {
    if (!tf.findBackendFactory(name)) return { name, ok: false, reason: `the ${name} backend is not registered in this context` };
    const ok = await tf.setBackend(name);
    if (!ok) return { name, ok: false, reason: `tf.setBackend('${name}') resolved false (initialisation failed)` };
    await tf.ready();
    const ms = await probe();
    return { name, ok: true, ms: Math.round(ms * 1000) / 1000 };
  } catch (e) {
    return { name, ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

export async function chooseBackend(requested: BackendName | 'auto', wasmPath: string | null): Promise<BackendChoice> {
  const t0 = performance.now();
  const choice = await choose(requested, wasmPath);
  return { ...choice, initMs: Math.round((performance.now() - t0) * 10) / 10 };
}

async function choose(requested: BackendName | 'auto', wasmPath: string | null): Promise<Omit<BackendChoice, 'initMs'>> {
  configureWasm(wasmPath);
  const gpu = await webgpuAdapter();
  if (requested !== 'auto') {
    if (requested === 'webgpu' && !gpu.ok) {
      throw new LocalrecError('backend-unavailable', `backend "webgpu" was requested but ${gpu.reason}`, { backend: requested });
    }
    const p = await tryBackend(requested);
    if (!p.ok) throw new LocalrecError('backend-unavailable', `backend "${requested}" was requested but failed: ${p.reason}`, { backend: requested });
    return { name: requested, forced: true, probes: [p] };
  }

  const probes: BackendProbe[] = [];
  let order: BackendName[] = [...BACKEND_NAMES];
  if (!gpu.ok) {
    order = order.filter((b) => b !== 'webgpu');
    probes.push({ name: 'webgpu', ok: false, reason: gpu.reason });
  } else if (gpu.software) {
    // A software adapter is last resort before cpu: only tried when webgl and wasm both fail.
    order = ['webgl', 'wasm', 'webgpu', 'cpu'];
  }
  for (const name of order) {
    if (name === 'webgpu' && gpu.software && probes.some((p) => p.ok)) {
      probes.push({ name, ok: false, reason: 'software WebGPU adapter (SwiftShader/fallback) ranked below webgl and wasm' });
      continue;
    }
    probes.push(await tryBackend(name));
  }
  const working = probes.filter((p) => p.ok).sort((a, b) => (a.ms ?? Infinity) - (b.ms ?? Infinity));
  if (working.length === 0) {
    throw new LocalrecError('backend-unavailable', `no tfjs backend works here: ${probes.map((p) => `${p.name}: ${p.reason}`).join('; ')}`);
  }
  const best = working[0].name;
  for (const p of probes) if (p.ok && p.name !== best) p.reason = `slower probe than ${best}`;
  if (!(await tf.setBackend(best))) throw new LocalrecError('backend-unavailable', `tf.setBackend('${best}') failed after a successful probe`);
  return { name: best, forced: false, probes: BACKEND_NAMES.map((n) => probes.find((p) => p.name === n)!).filter(Boolean) };
}
