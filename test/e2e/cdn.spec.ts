/**
 * The script tag served from a CDN: the loader, client, Worker, wasm binaries and model
 * live on one origin (a "CDN" on one loopback port, with CORS), the shop page on another,
 * under the strict CSP docs/usage.md tells shops to send. The Worker must start through
 * the same-origin blob: stub, and the wasm binaries and model must resolve against the
 * script's URL, not the page's.
 */
import { test, expect, type Request } from '@playwright/test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPackage } from '../../scripts/build-package';
import { README_CDN, readmeSnippet } from './readme-snippets';
import { serveStatic, type StaticServer } from './static-server';

let dir: string;
let cdn: StaticServer;
let shop: StaticServer;
const NONCE = 'localrec-test';

/** The CSP from docs/usage.md, with the CDN's origin filled in. */
export function shopCsp(cdnOrigin: string, nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' ${cdnOrigin} 'wasm-unsafe-eval'`,
    // Module workers fetch their imports as "worker" requests, so the CDN is listed here too.
    `worker-src blob: ${cdnOrigin}`,
    `connect-src 'self' ${cdnOrigin}`,
  ].join('; ');
}

/** A README html snippet, pointed at the test CDN, with the inline scripts' nonce. */
function readmeHtml(n: number): string {
  const snippet = readmeSnippet('html', n).replaceAll(README_CDN, `${cdn.origin}/localrec/`).replaceAll('<script>', `<script nonce="${NONCE}">`);
  expect(snippet).toContain(cdn.origin);
  return snippet;
}

/** The README's script-tag snippet. */
function readmePage(): string {
  return `<!doctype html><meta charset="utf-8"><title>shop</title>\n${readmeHtml(0)}`;
}

function page(loader: string, classic: boolean): string {
  return `<!doctype html><meta charset="utf-8"><title>shop</title>
<script nonce="${NONCE}">window.localrec = window.localrec || []; localrec.push(['track', { item: 'p0001', type: 'view' }]);</script>
<script ${classic ? '' : 'type="module" '}src="${cdn.origin}/localrec/${loader}" data-localrec-model="models/shop/manifest.json" data-localrec-backend="wasm"></script>
<localrec-recommendations n="4"></localrec-recommendations>`;
}

/**
 * The README's GA4 dataLayer snippet (a shop that already tags GA4: a view_item push before
 * the loader), after the shop's CMP granted consent through Google Consent Mode.
 */
function ga4Page(): string {
  const snippet = readmeHtml(1);
  expect(snippet).toContain('data-localrec-datalayer');
  return `<!doctype html><meta charset="utf-8"><title>shop</title>
<script nonce="${NONCE}">window.dataLayer = window.dataLayer || []; dataLayer.push(['consent', 'default', { personalization_storage: 'granted' }]);</script>
${snippet}`;
}

test.beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'localrec-cdn-'));
  await buildPackage(join(dir, 'cdn'));
  cdn = await serveStatic({
    mounts: { '/localrec/models/': 'public/models', '/localrec/': join(dir, 'cdn') },
    headers: { 'access-control-allow-origin': '*' },
  });
  await writeFile(join(dir, 'esm.html'), page('localrec-embed.js', false));
  await writeFile(join(dir, 'classic.html'), page('localrec-embed.iife.js', true));
  await writeFile(join(dir, 'ga4.html'), ga4Page());
  await writeFile(join(dir, 'readme.html'), readmePage());
  shop = await serveStatic({
    mounts: { '/': dir },
    headers: { 'content-security-policy': shopCsp(cdn.origin, NONCE) },
    handle: (req, res) => req.url === '/favicon.ico' && Boolean(res.writeHead(204).end()),
  });
});

test.afterAll(async () => {
  await Promise.all([cdn?.close(), shop?.close()]);
  await rm(dir, { recursive: true, force: true });
});

for (const [name, file, backend] of [['module', 'esm.html', 'wasm'], ['classic', 'classic.html', 'wasm'], ["README's", 'readme.html', null]] as const) {
  test(`the ${name} loader served from another origin starts the Worker and shows recommendations under the documented CSP`, async ({ page: p }) => {
    const requests: Request[] = [];
    const problems: string[] = [];
    p.context().on('request', (r) => requests.push(r));
    p.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    p.on('pageerror', (e) => problems.push(e.message));
    await p.goto(`${shop.origin}/${file}`);
    await expect(p.locator('localrec-recommendations li')).toHaveCount(4, { timeout: 30_000 });
    const status = () =>
      p.evaluate(async () => {
        const api = window.localrec;
        const client = api && !Array.isArray(api) ? await api.ready : null;
        return client ? client.status() : null;
      });
    // The README's snippet leaves the choice to 'auto', which probes (wasm too) once the Worker is idle after the widget's first recommendation.
    if (backend) expect((await status())?.backend?.name).toBe(backend);
    else {
      await expect.poll(async () => (await status())?.backend?.source, { timeout: 30_000 }).toBe('probed');
      expect((await status())?.backend?.probes.some((b) => b.name === 'wasm' && b.ok)).toBe(true);
    }
    expect(problems).toEqual([]);
    // The README's snippet tracks a view: it must be stored, not dropped for want of consent.
    if (name === "README's") {
      const stored = () =>
        p.evaluate(async () => {
          const api = window.localrec;
          const client = api && !Array.isArray(api) ? await api.ready : null;
          return client ? (await client.exportData()).events.map((e) => `${e.type}:${e.item}`) : [];
        });
      await expect.poll(stored).toContain('view:p0001');
    }
    // Everything but the page came from the CDN, fetched with GET and no body.
    for (const r of requests) {
      const u = new URL(r.url());
      if (u.protocol === 'blob:') continue;
      expect([shop.origin, cdn.origin]).toContain(u.origin);
      if (u.origin === shop.origin) expect(u.pathname).toBe(`/${file}`);
      expect(r.method()).toBe('GET');
      expect(r.postData()).toBeNull();
    }
    const fromCdn = requests.map((r) => new URL(r.url())).filter((u) => u.origin === cdn.origin).map((u) => u.pathname);
    expect(fromCdn).toEqual(expect.arrayContaining(['/localrec/index.js', '/localrec/localrec-worker.js', '/localrec/models/shop/manifest.json']));
    expect(fromCdn.some((path) => /^\/localrec\/tfjs-backend-wasm(-simd)?\.wasm$/.test(path))).toBe(true);
  });
}

test("the README's dataLayer snippet tracks GA4 ecommerce pushes, those made before the loader included, until Consent Mode withdraws consent", async ({ page: p }) => {
  await p.goto(`${shop.origin}/ga4.html`);
  const events = () =>
    p.evaluate(async () => {
      const api = window.localrec;
      const client = api && !Array.isArray(api) ? await api.ready : null;
      return client ? (await client.exportData()).events.map((e) => `${e.type}:${e.item}`) : null;
    });
  await expect.poll(events).toEqual(['view:p0001']);
  await p.evaluate(() => (window as unknown as { dataLayer: unknown[] }).dataLayer.push({ event: 'add_to_cart', ecommerce: { items: [{ item_id: 'p0002' }] } }));
  await expect.poll(events).toEqual(['view:p0001', 'cart:p0002']);
  // The shopper withdraws consent in the CMP (Consent Mode): what was tracked is deleted.
  await p.evaluate(() => (window as unknown as { dataLayer: unknown[] }).dataLayer.push(['consent', 'update', { personalization_storage: 'denied' }]));
  await expect.poll(events).toEqual([]);
});
