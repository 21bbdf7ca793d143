/**
 * A shopper's first visit to the demo shop, and what the SDK costs the page.
 *
 * - workerFirstLoadGzipBytes: the package build's localrec-worker.js, gzip.
 * - throttled: the demo shop's home page on a fresh profile over a slow network (CDP
 *   Network.emulateNetworkConditions: 1.6 Mbps down, 750 kbps up, 150 ms RTT — Lighthouse's
 *   "slow 4G"), served gzip-compressed as a CDN would: time from navigation to the first
 *   recommendation on screen (the "Recommended for you" row's first card) and the bytes
 *   transferred before it. The default (`backend: 'auto'`) against `plain` and `wasm`
 *   forced, measured in the same run, runs interleaved; medians.
 * - backendCodeGzipBytesBeforeFirstRecommendation: of those bytes, the Worker's code (its
 *   entry and every chunk or binary it can import, found by following the build's imports
 *   from the Worker entry) fetched before the first recommendation, on the default.
 * - lighthouse: Lighthouse (performance category, its default mobile profile and
 *   simulated throttling) on the home page with the SDK and without it (&sdk=off: the same
 *   page without the embed script, its rows holding their placeholders), runs interleaved;
 *   deltas of the medians (with − without) of total blocking time, CLS and LCP.
 *
 *   npm run bench:first-visit [-- --runs 3 --lighthouse-runs 5 --out <path> --force]
 *
 * Writes bench/reports/first-visit.json; replacing a committed report takes --force (or
 * another --out). Chromium is Debian's, with the project's launch flags; nothing leaves
 * loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Request } from '@playwright/test';
import lighthouse from 'lighthouse';
import { build } from 'vite';
import { buildPackage } from '../scripts/build-package';
import { workerGzipBytes } from './worker-bytes';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'lighthouse-runs': { type: 'string', default: '5' },
    out: { type: 'string', default: 'bench/reports/first-visit' },
    force: { type: 'boolean', default: false },
  },
});
if (!values.force && existsSync(`${values.out}.json`)) {
  console.error(`${values.out}.json exists (a committed report); pass --force to replace it, or --out <path>`);
  process.exit(1);
}
const RUNS = Number(values.runs);
const LH_RUNS = Number(values['lighthouse-runs']);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The project's launch flags (playwright.config.ts). */
const BASE_ARGS = ['--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DIST = resolve('.cache/bench-first-visit');
/** Lighthouse's "slow 4G" (its mobile default): 150 ms RTT, 1.6 Mbps down, 750 kbps up. */
const PROFILE = { name: 'slow 4G (CDP Network.emulateNetworkConditions)', latencyMs: 150, downloadKbps: 1600, uploadKbps: 750 };

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm', '.bin': 'application/octet-stream', '.svg': 'image/svg+xml' };
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.svg']);

/** What the server sent: each response's path, body bytes (compressed as sent) and when. */
interface Sent {
  path: string;
  bytes: number;
  at: number;
}

/** The build, served as a CDN would: text gzip-compressed (once, then from memory), binaries as they are. */
async function serveDist(root: string, sent: Sent[]): Promise<{ origin: string; server: Server }> {
  const gz = new Map<string, Buffer>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let file = resolve(root, `.${decodeURIComponent(url.pathname)}`);
    if (file !== root && !file.startsWith(root + sep)) return void res.writeHead(403).end();
    if (existsSync(file) && !extname(file)) file = join(file, 'index.html');
    if (!existsSync(file)) return void res.writeHead(404).end();
    const ext = extname(file);
    res.setHeader('content-type', TYPES[ext] ?? 'application/octet-stream');
    res.setHeader('cache-control', 'no-cache');
    let body: Buffer = readFileSync(file);
    if (COMPRESSIBLE.has(ext) && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      if (!gz.has(file)) gz.set(file, gzipSync(body));
      body = gz.get(file)!;
      res.setHeader('content-encoding', 'gzip');
    }
    res.setHeader('content-length', body.length);
    sent.push({ path: url.pathname, bytes: body.length, at: Date.now() });
    res.end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * Every file the Worker can load: its entry and what that imports, statically or
 * dynamically, followed through the built files (the page never imports them), plus the
 * wasm binaries. Paths as the page requests them.
 */
function workerCode(root: string): Set<string> {
  const assets = join(root, 'assets');
  const entry = readdirSync(assets).find((f) => /^worker-entry-[\w-]+\.js$/.test(f));
  if (!entry) throw new Error(`no worker-entry-*.js in ${assets}`);
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:\bimport\s*\(\s*|\bfrom\s*|\bimport\s*)["'`](\.{0,2}\/[\w./-]+\.js)["'`]/g)) visit(join(dirname(file), m[1]));
  };
  visit(join(assets, entry));
  const paths = new Set([...seen].map((f) => f.slice(root.length)));
  for (const f of readdirSync(join(root, 'tfjs-wasm'))) paths.add(`/tfjs-wasm/${f}`);
  return paths;
}

interface VisitResult {
  firstRecommendationMs: number;
  /** Response bodies as the server sent them (text gzip-compressed) for every request it answered before the first recommendation. */
  bytes: number;
  requests: number;
  /** Of those, the Worker's code (gzip-compressed as served; the wasm binary as it is). */
  backendCodeBytes: number;
  backendCodeFiles: string[];
  /**
   * The model's weights.bin, which the Worker fetches: its download time against the least
   * the profile allows (one RTT plus its bytes at the profile's rate), which shows the
   * throttling applied to the Worker's requests too.
   */
  workerThrottleCheck: { path: string; bytes: number; ms: number; minimumMs: number } | null;
  /** With 'auto': what it chose once measured, and the bytes that measurement fetched after the first recommendation. */
  takeover?: { backend: string; source: string; bytesAfter: number; msAfterFirstRecommendation: number };
}

/** One first visit on a fresh profile, over the throttled network. */
async function throttledVisit(browser: Browser, origin: string, sent: Sent[], backend: 'auto' | 'plain' | 'wasm', worker: Set<string>): Promise<VisitResult> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: PROFILE.latencyMs,
      downloadThroughput: (PROFILE.downloadKbps * 1000) / 8,
      uploadThroughput: (PROFILE.uploadKbps * 1000) / 8,
    });
    await page.addInitScript(() => {
      // When the first recommendation is on screen: the for-you row's first real card.
      const w = window as unknown as { firstRecAt?: number };
      new MutationObserver((_, obs) => {
        if (document.querySelector('[data-strip="for-you"] li[data-item]')) {
          w.firstRecAt = performance.now();
          obs.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    });
    const weights: Request[] = [];
    context.on('request', (req) => req.url().endsWith('/weights.bin') && weights.push(req));
    sent.length = 0;
    await page.goto(`${origin}/demo/${backend === 'auto' ? '' : `?backend=${backend}`}`);
    await page.waitForFunction(() => (window as unknown as { firstRecAt?: number }).firstRecAt !== undefined, undefined, { timeout: 120_000, polling: 50 });
    const seenAt = Date.now();
    const firstRecommendationMs = await page.evaluate(() => (window as unknown as { firstRecAt: number }).firstRecAt);
    const before = sent.filter((r) => r.at <= seenAt);
    const code = before.filter((r) => worker.has(r.path));
    const w = before.find((r) => r.path.endsWith('/weights.bin'));
    const timing = weights[0]?.timing();
    const result: VisitResult = {
      workerThrottleCheck: w && timing ? { path: w.path, bytes: w.bytes, ms: round(timing.responseEnd), minimumMs: round(PROFILE.latencyMs + (w.bytes * 8) / PROFILE.downloadKbps) } : null,
      firstRecommendationMs: round(firstRecommendationMs),
      bytes: before.reduce((a, r) => a + r.bytes, 0),
      requests: before.length,
      backendCodeBytes: code.reduce((a, r) => a + r.bytes, 0),
      backendCodeFiles: code.map((r) => r.path),
    };
    if (backend === 'auto') {
      // The measurement after the first recommendation (the Worker idle 1.5 s, then downloads and probes).
      const status = () =>
        page.evaluate(async () => {
          const api = (window as unknown as { localrec?: { ready?: Promise<{ status(): Promise<{ backend: { name: string; source: string } | null }> } | null> } }).localrec;
          const client = api && !Array.isArray(api) ? await api.ready : null;
          return client ? (await client.status()).backend : null;
        });
      const t0 = Date.now();
      let b = await status();
      while (b?.source === 'pending' && Date.now() - t0 < 120_000) {
        await page.waitForTimeout(100);
        b = await status();
      }
      const after = sent.filter((r) => r.at > seenAt);
      result.takeover = { backend: b?.name ?? 'none', source: b?.source ?? 'none', bytesAfter: after.reduce((a, r) => a + r.bytes, 0), msAfterFirstRecommendation: Date.now() - seenAt };
    }
    return result;
  } finally {
    await context.close();
  }
}

/** Debian's chromium with the project's flags, headless, with a DevTools port for Lighthouse. */
async function launchForLighthouse(): Promise<{ port: number; proc: ChildProcess; profile: string }> {
  const profile = await mkdtemp(join(tmpdir(), 'localrec-lh-'));
  const proc = spawn(CHROMIUM, [...BASE_ARGS, '--headless=new', '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise<number>((ok, fail) => {
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(err);
      if (m) ok(Number(m[1]));
    });
    proc.on('exit', (code) => fail(new Error(`chromium exited (${code}): ${err.slice(-500)}`)));
  });
  return { port, proc, profile };
}

interface LighthouseRun {
  tbtMs: number;
  cls: number;
  lcpMs: number;
  fcpMs: number;
  /** What Lighthouse names as the LCP element (its selector), to see what the page's largest paint was. */
  lcpElement: string | null;
}

async function lighthouseRun(port: number, url: string): Promise<LighthouseRun> {
  const result = await lighthouse(url, { port, output: 'json', logLevel: 'error', onlyCategories: ['performance'] });
  const audits = result?.lhr.audits;
  const value = (id: string) => {
    const v = audits?.[id]?.numericValue;
    if (typeof v !== 'number') throw new Error(`lighthouse gave no ${id} for ${url}: ${result?.lhr.runtimeError?.message ?? 'no value'}`);
    return v;
  };
  const details = audits?.['largest-contentful-paint-element']?.details as { items?: { items?: { node?: { selector?: string } }[] }[] } | undefined;
  const lcpElement = details?.items?.[0]?.items?.[0]?.node?.selector ?? null;
  return { tbtMs: value('total-blocking-time'), cls: value('cumulative-layout-shift'), lcpMs: value('largest-contentful-paint'), fcpMs: value('first-contentful-paint'), lcpElement };
}

async function main(): Promise<void> {
  const load0 = loadavg()[0];
  console.log('package build');
  const pkgDir = await mkdtemp(join(tmpdir(), 'localrec-bench-pkg-'));
  await buildPackage(pkgDir);
  const sizes = workerGzipBytes(pkgDir);
  await rm(pkgDir, { recursive: true, force: true });
  console.log('demo build');
  await build({ logLevel: 'error', configFile: 'vite.e2e.config.ts', build: { outDir: DIST, emptyOutDir: true } });
  const worker = workerCode(DIST);
  const sent: Sent[] = [];
  const { origin, server } = await serveDist(DIST, sent);

  const visits: Record<'auto' | 'plain' | 'wasm', VisitResult[]> = { auto: [], plain: [], wasm: [] };
  const lh: Record<'with' | 'without', LighthouseRun[]> = { with: [], without: [] };
  let browserVersion: string | null = null;
  try {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: BASE_ARGS });
    browserVersion = browser.version();
    try {
      for (let i = 0; i < RUNS; i++) {
        for (const backend of ['auto', 'plain', 'wasm'] as const) {
          const v = await throttledVisit(browser, origin, sent, backend, worker);
          visits[backend].push(v);
          console.log(`throttled ${backend} ${i + 1}/${RUNS}: first recommendation ${v.firstRecommendationMs} ms, ${v.bytes} bytes (${v.requests} requests), Worker code ${v.backendCodeBytes} bytes${v.takeover ? `; then ${v.takeover.backend} (${v.takeover.source}), ${v.takeover.bytesAfter} bytes more` : ''}`);
        }
      }
    } finally {
      await browser.close();
    }
    for (let i = 0; i < LH_RUNS; i++) {
      for (const variant of ['with', 'without'] as const) {
        // A fresh browser per run: Lighthouse resets storage, but not the HTTP cache of another origin or the compiled code cache.
        const chrome = await launchForLighthouse();
        try {
          const r = await lighthouseRun(chrome.port, `${origin}/demo/${variant === 'without' ? '?sdk=off' : ''}`);
          lh[variant].push(r);
          console.log(`lighthouse ${variant} SDK ${i + 1}/${LH_RUNS}: TBT ${round(r.tbtMs)} ms, CLS ${round(r.cls, 4)}, LCP ${round(r.lcpMs)} ms (${r.lcpElement})`);
        } finally {
          chrome.proc.kill();
          await rm(chrome.profile, { recursive: true, force: true }).catch(() => undefined);
        }
      }
    }
  } finally {
    await new Promise<void>((ok) => server.close(() => ok()));
    server.closeAllConnections();
  }

  const summary = (rs: VisitResult[]) => ({
    firstRecommendationMs: round(median(rs.map((r) => r.firstRecommendationMs))),
    bytes: median(rs.map((r) => r.bytes)),
    backendCodeBytes: median(rs.map((r) => r.backendCodeBytes)),
  });
  const auto = summary(visits.auto);
  const plain = summary(visits.plain);
  const wasm = summary(visits.wasm);
  const med = (v: 'with' | 'without', k: 'tbtMs' | 'cls' | 'lcpMs' | 'fcpMs') => median(lh[v].map((r) => r[k]));
  const report = {
    workerFirstLoadGzipBytes: sizes.firstLoad,
    backendCodeGzipBytesBeforeFirstRecommendation: auto.backendCodeBytes,
    throttled: {
      profile: PROFILE,
      firstRecommendationMs: auto.firstRecommendationMs,
      bytes: auto.bytes,
      page: '/demo/ (the demo shop home page, default options: backend auto), fresh profile each run, served gzip-compressed',
      runs: RUNS,
      medians: { auto, plain, wasm },
      ratios: {
        autoOverPlainFirstRecommendation: round(auto.firstRecommendationMs / plain.firstRecommendationMs, 3),
        autoOverWasmFirstRecommendation: round(auto.firstRecommendationMs / wasm.firstRecommendationMs, 3),
        autoOverWasmBytes: round(auto.bytes / wasm.bytes, 3),
      },
      perRun: visits,
    },
    lighthouse: {
      tbtDeltaMs: round(med('with', 'tbtMs') - med('without', 'tbtMs')),
      clsDelta: round(med('with', 'cls') - med('without', 'cls'), 4),
      lcpDeltaMs: round(med('with', 'lcpMs') - med('without', 'lcpMs')),
      runs: LH_RUNS,
      settings: 'lighthouse 12 performance category, default mobile form factor and simulated throttling; /demo/ against /demo/?sdk=off (no embed script), fresh headless chromium per run, interleaved',
      medians: {
        with: { tbtMs: round(med('with', 'tbtMs')), cls: round(med('with', 'cls'), 4), lcpMs: round(med('with', 'lcpMs')), fcpMs: round(med('with', 'fcpMs')) },
        without: { tbtMs: round(med('without', 'tbtMs')), cls: round(med('without', 'cls'), 4), lcpMs: round(med('without', 'lcpMs')), fcpMs: round(med('without', 'fcpMs')) },
      },
      perRun: lh,
    },
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, browser: browserVersion, loadAverageAtStart: round(load0, 2), loadAverageAtEnd: round(loadavg()[0], 2) },
    workerCodeFiles: [...worker].sort(),
  };
  await mkdir(dirname(`${values.out}.json`), { recursive: true });
  await writeFile(`${values.out}.json`, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nthrottled first visit (${PROFILE.name}), medians of ${RUNS}:`);
  for (const [name, s] of Object.entries(report.throttled.medians)) console.log(`  ${name.padEnd(5)} first recommendation ${s.firstRecommendationMs} ms, ${s.bytes} bytes before it, Worker code ${s.backendCodeBytes} bytes`);
  console.log(`  auto / plain ${report.throttled.ratios.autoOverPlainFirstRecommendation}×, auto / wasm ${report.throttled.ratios.autoOverWasmFirstRecommendation}× (bytes ${report.throttled.ratios.autoOverWasmBytes}×)`);
  console.log(`lighthouse, medians of ${LH_RUNS}, with − without the SDK: TBT ${report.lighthouse.tbtDeltaMs} ms, CLS ${report.lighthouse.clsDelta}, LCP ${report.lighthouse.lcpDeltaMs} ms`);
  console.log(`wrote ${values.out}.json`);
}

await main();
