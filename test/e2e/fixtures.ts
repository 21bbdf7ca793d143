/**
 * Shared Playwright fixtures. `network` is automatic: it records every request the
 * browser context makes (page and Worker) and fails the test if any request is not a
 * plain GET of app code, a model file or a tfjs wasm binary, or if any URL, header or
 * body carries one of the test's secrets (item ids it tracked, events it sent).
 */
import { test as base, expect, type Page, type Request } from '@playwright/test';
import type { Localrec, LocalrecOptions } from '../../src/index';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

export interface NetworkRecorder {
  requests: RecordedRequest[];
  /** Strings that must never leave the device. */
  secrets: Set<string>;
  /** Origins of a federated server the test started: its round, model and upload endpoints are expected (secrets are still checked). */
  federatedOrigins?: string[];
}

// The built pages and their hashed bundles (the specs run against `vite preview`).
const APP_CODE = /^\/(demo\/|test\/e2e\/harness\/|assets\/|favicon\.ico$)/;
const MODEL_FILE = /^\/(models|test-models)\/[\w.-]+\/(manifest\.json|weights\.bin|items\.json)$/;
const WASM_FILE = /^\/tfjs-wasm\/tfjs-backend-wasm(-simd|-threaded-simd)?\.wasm$/;
const FED_GET = /^\/v1\/(round|model\/(manifest\.json|weights\.bin|items\.json)|models\/\d+\/(manifest\.json|weights\.bin|items\.json))$/;
const FED_UPLOAD = '/v1/updates';
const FED_REPORT = '/v1/reports';
/** The bound on what a device's quality report may cost per version (the report is 28 bytes). */
export const REPORT_BYTES_MAX = 200;

export function problems(rec: NetworkRecorder, origin: string): string[] {
  const out: string[] = [];
  for (const r of rec.requests) {
    const u = new URL(r.url);
    if (u.protocol === 'data:' || u.protocol === 'blob:') continue;
    if (rec.federatedOrigins?.includes(u.origin)) {
      // The only requests with a body the SDK may make: the delta upload (binary tower values) and the quality report (≤ 200 bytes).
      const ok =
        (r.method === 'GET' && FED_GET.test(u.pathname) && !r.body) ||
        (r.method === 'POST' && u.pathname === FED_UPLOAD && !u.search) ||
        (r.method === 'POST' && u.pathname === FED_REPORT && !u.search && (r.body?.length ?? 0) <= REPORT_BYTES_MAX);
      if (!ok) out.push(`unexpected federated request: ${r.method} ${r.url}`);
    } else {
      if (u.origin !== origin) out.push(`third-party request: ${r.url}`);
      if (r.method !== 'GET') out.push(`${r.method} ${r.url}: only GET is expected`);
      if (r.body) out.push(`request with a body: ${r.url}`);
      if (!APP_CODE.test(u.pathname) && !MODEL_FILE.test(u.pathname) && !WASM_FILE.test(u.pathname)) out.push(`unexpected request: ${r.url}`);
    }
    const wire = [decodeURIComponent(r.url), ...Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`), r.body ?? ''].join('\n');
    for (const s of rec.secrets) if (wire.includes(s)) out.push(`request carries "${s}": ${r.url}`);
  }
  return out;
}

export const test = base.extend<{ network: NetworkRecorder }>({
  network: [
    async ({ context, baseURL }, use) => {
      const rec: NetworkRecorder = { requests: [], secrets: new Set(), federatedOrigins: [] };
      const pending: Promise<void>[] = [];
      const onRequest = (req: Request) => {
        // Record at once (a test may look right after navigating); the full header set,
        // cookies included, arrives asynchronously and replaces the provisional one.
        // latin1 keeps every byte of a binary body, so an ASCII secret inside it is still found.
        const entry: RecordedRequest = { method: req.method(), url: req.url(), headers: req.headers(), body: req.postDataBuffer()?.toString('latin1') ?? null };
        rec.requests.push(entry);
        pending.push(req.allHeaders().then((headers) => void (entry.headers = headers), () => undefined));
      };
      context.on('request', onRequest);
      await use(rec);
      context.off('request', onRequest);
      await Promise.all(pending);
      expect(problems(rec, new URL(baseURL!).origin)).toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

export const SMALL = '/test-models/small/manifest.json';
export const SHOP = '/models/shop/manifest.json';

declare global {
  interface Window {
    localrecHarness: { createLocalrec: (o: LocalrecOptions) => Promise<Localrec> };
    lr: Localrec;
    lrs: Record<string, Localrec>;
  }
}

export async function openHarness(page: Page): Promise<void> {
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.goto('/test/e2e/harness/index.html');
  await expect(page.locator('#state')).toHaveText('ready');
}

/** Creates a client in the page under `window.lrs[key]`; returns its status. */
export async function createClient(page: Page, key: string, options: LocalrecOptions) {
  return page.evaluate(
    async ([k, o]) => {
      window.lrs ??= {};
      window.lrs[k] = await window.localrecHarness.createLocalrec(o);
      return window.lrs[k].status();
    },
    [key, options] as const,
  );
}

/**
 * The status of `window.lrs[key]` once `backend: 'auto'` has measured: it does so when the
 * Worker is idle after the first recommendation, so this asks for one and waits.
 */
export async function measuredStatus(page: Page, key: string) {
  await page.evaluate((k) => window.lrs[k].recommend({ n: 1 }), key);
  await expect.poll(() => page.evaluate(async (k) => (await window.lrs[k].status()).backend?.source, key), { timeout: 30_000 }).not.toBe('pending');
  return page.evaluate((k) => window.lrs[k].status(), key);
}

/** Wraps `window.Worker`: module Workers start from a blob that runs `prelude` first, then imports the real script. */
export async function wrapWorkers(page: Page, prelude: string, crashFirst = false): Promise<void> {
  await page.addInitScript(
    ([pre, crash]) => {
      const Real = window.Worker;
      let started = 0;
      const blob = (code: string) => URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
      class Wrapped extends Real {
        constructor(url: string | URL, opts?: WorkerOptions) {
          started++;
          if (crash && started === 1) {
            super(blob('throw new Error("crashed on start");'), { type: 'module' });
            return;
          }
          const abs = new URL(String(url), location.href).href;
          super(blob(`import ${JSON.stringify(blob(pre))};\nimport ${JSON.stringify(abs)};`), opts);
        }
      }
      window.Worker = Wrapped;
      (window as unknown as { workersStarted: () => number }).workersStarted = () => started;
    },
    [prelude, crashFirst] as const,
  );
}
