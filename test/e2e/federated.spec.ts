/**
 * Federated round trip in a real browser: the demo page, with consent, personalises,
 * uploads its delta to an aggregation server this file starts on loopback; the server
 * aggregates and publishes version 2; the page picks version 2 up (hash-verified) after a
 * reload, or while it runs, re-personalises on it and still recommends. Without consent
 * nothing is uploaded. The network recorder checks that no upload carries an item id or event.
 * A round needs two updates, the page's and one this file sends from Node, so the test
 * decides when a version is published (an idle personalisation cannot race it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintToken } from '../../src/federated/token';
import { encodeUpdate } from '../../src/federated/wire';
import { FIXTURES, fixtureWeights } from '../fixtures/make-model';
import { spawnServer, type ServerProcess } from '../fixtures/serve-process';
import { buyProduct, viewProducts } from './demo-shopper';
import { expect, REPORT_BYTES_MAX, test } from './fixtures';

const SECRET = 'e2e-federated-secret-0123';
const clicked = ['sku-00001', 'sku-00006', 'sku-00011'];
const bought = 'sku-00016';
let server: ServerProcess;
let dataDir: string;

test.describe.configure({ mode: 'serial' });

/** A server whose rounds close (checked every second) once they hold two updates. */
async function startServer(origin: string): Promise<{ server: ServerProcess; dataDir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'localrec-e2e-fed-'));
  const proc = await spawnServer(
    ['--model', '.cache/models/small', '--data', dir, '--origin', origin, '--min-clients', '2', '--round-ms', '1', '--rate-limit', '0'],
    { LOCALREC_FED_SECRET: SECRET },
  );
  return { server: proc, dataDir: dir };
}

test.beforeAll(async ({ baseURL }) => {
  ({ server, dataDir } = await startServer(new URL(baseURL!).origin));
});

test.afterAll(async () => {
  await server?.kill('SIGTERM');
  await rm(dataDir, { recursive: true, force: true });
});

async function round(at = server): Promise<{ roundId: number; modelVersion: number; length: number }> {
  return (await fetch(`${at.url}/v1/round`)).json() as Promise<{ roundId: number; modelVersion: number; length: number }>;
}

/** A second device (this test, from Node) sends a zero delta to the open round, which then closes and publishes the next version. */
async function publishNext(at = server): Promise<number> {
  const r = await round(at);
  const body = encodeUpdate({ modelVersion: r.modelVersion, roundId: r.roundId, values: new Float32Array(r.length), dtype: 'float32' });
  const res = await fetch(`${at.url}/v1/updates`, {
    method: 'POST',
    headers: { authorization: `Bearer ${mintToken(SECRET, `e2enode${r.roundId}`, Date.now() + 600_000)}`, 'content-type': 'application/octet-stream' },
    body: body as Uint8Array<ArrayBuffer>,
  });
  expect(res.status).toBe(200);
  await expect.poll(async () => (await round(at)).modelVersion, { timeout: 15_000 }).toBe(r.modelVersion + 1);
  return r.modelVersion + 1;
}

type Seen = { personalised: string[]; federated: string[] };

/** Records the Worker's personalisations (by reason) and federated outcomes on the page, from the moment it is called. */
async function recordEvents(page: import('@playwright/test').Page): Promise<() => Promise<Seen>> {
  await page.evaluate(async () => {
    const seen: Seen = { personalised: [], federated: [] };
    (window as unknown as { seen: Seen }).seen = seen;
    const c = await (window.localrec as import('../../src/embed/queue').EmbedApi).ready;
    c!.subscribe((e) => {
      if (e.type === 'personalised') seen.personalised.push(e.reason);
      if (e.type === 'federated') seen.federated.push(e.outcome);
    });
  });
  return () => page.evaluate(() => structuredClone((window as unknown as { seen: Seen }).seen));
}

/** Three product views and one purchase (view, cart, purchase): six events, then "Personalise now". */
async function shop(page: import('@playwright/test').Page) {
  await viewProducts(page, 'books', clicked);
  await buyProduct(page, 'books', bought);
  await page.locator('#open-dev').click();
  await page.locator('#personalise').click();
  await page.locator('#dev-dialog .close').click();
}

test('with consent, the demo uploads one delta, the server publishes version 2, and the page re-personalises on it', async ({ page, network }) => {
  const fed = server.url;
  network.federatedOrigins!.push(new URL(fed).origin);
  for (const s of [...clicked, bought, '"type"', 'purchase', 'sku-']) network.secrets.add(s);
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  const before = await round();
  expect(before.modelVersion).toBe(1);

  const token = mintToken(SECRET, 'e2edevice01', Date.now() + 600_000);
  const url = `/demo/?model=${encodeURIComponent(`${fed}/v1/model/manifest.json`)}&fed=${encodeURIComponent(fed)}&fedToken=${token}&consent=1&backend=wasm`;
  await page.goto(url);
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  await expect(page.locator('#status')).toContainText('model small v1');
  const seen = await recordEvents(page);
  await shop(page);
  await expect(page.locator('#status')).toContainText('personalised (5 steps on 6 events');
  // The idle personalisation (1.5 s after the last event) runs once more: the round is the same, nothing more is sent.
  await expect.poll(async () => (await seen()).personalised).toEqual(['demand', 'idle']);
  await expect.poll(async () => (await seen()).federated.length).toBe(2);
  await expect(page.locator('#status')).toContainText(new RegExp(`federated: [a-z-]+ \\(round ${before.roundId}, ${24 + before.length} bytes\\)`));

  // With a second device's update the server closes the round at its next tick and publishes version 2.
  expect(await publishNext()).toBe(2);
  const v2 = (await (await fetch(`${fed}/v1/models/2/manifest.json`)).json()) as { training: { federated: { clients: number } } };
  expect(v2.training.federated.clients).toBe(2);

  // Exactly one upload: a header and the int8 tower delta, nothing else (version 1 was not trained by the server: no report on it).
  const uploads = network.requests.filter((r) => r.method === 'POST');
  expect(uploads).toHaveLength(1);
  expect(uploads[0].url).toBe(`${fed}/v1/updates`);
  expect(uploads[0].body!.length).toBe(24 + before.length);
  expect(uploads[0].headers['content-type']).toBe('application/octet-stream');
  expect(uploads[0].headers.authorization).toBe(`Bearer ${token}`);
  expect(uploads[0].headers.cookie).toBeUndefined();

  // A reload picks up version 2 from the network (every file hash-verified) and re-personalises on the stored events.
  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  await expect(page.locator('#status')).toContainText('model small v2');
  await expect(page.locator('#status')).toContainText('from network');
  await expect(page.locator('#status')).toContainText('personalised (5 steps on 6 events');
  await page.locator('a.logo').click();
  const forYou = page.locator('[data-strip="for-you"]');
  await expect(forYou).toHaveAttribute('data-personalised', 'true');
  await expect(forYou.locator('.rec-card')).toHaveCount(6);
  await expect(forYou.locator('.rec-title').first()).toContainText('books');
  // Version 2's round gets this device's next delta: still one upload per round.
  await expect(page.locator('#status')).toContainText(`(round ${before.roundId + 1}, ${24 + before.length} bytes)`);
  expect(network.requests.filter((r) => r.method === 'POST' && r.url === `${fed}/v1/updates`)).toHaveLength(2);
  // Version 2 was: one report on it, after the upload.
  await expect.poll(() => network.requests.filter((r) => r.method === 'POST' && r.url === `${fed}/v1/reports`).length).toBe(1);
});

test('a running page picks up version 2 at its next idle moment, without a reload, and re-personalises on it', async ({ page, network, baseURL }) => {
  const own = await startServer(new URL(baseURL!).origin);
  try {
    const fed = own.server.url;
    network.federatedOrigins!.push(new URL(fed).origin);
    for (const s of [...clicked, bought, 'sku-00021', '"type"', 'purchase', 'sku-']) network.secrets.add(s);
    const token = mintToken(SECRET, 'e2edevice03', Date.now() + 600_000);
    const status = page.locator('#status');
    await page.goto(`/demo/?model=${encodeURIComponent(`${fed}/v1/model/manifest.json`)}&fed=${encodeURIComponent(fed)}&fedToken=${token}&consent=1&backend=wasm`);
    await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
    // Survives only if the document is never reloaded or replaced.
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    const seen = await recordEvents(page);
    await shop(page);
    await expect(status).toContainText('model small v1');
    // Version 2 comes out only after the idle personalisation has asked for round 1 (so the page learns of it from the next one).
    await expect.poll(async () => (await seen()).personalised).toEqual(['demand', 'idle']);
    await expect.poll(async () => (await seen()).federated.length).toBe(2);
    expect(await publishNext(own.server)).toBe(2);
    const manifests = () => network.requests.filter((r) => r.url === `${fed}/v1/model/manifest.json`).length;
    expect(manifests()).toBe(1);

    // One more product view: its idle personalisation asks for the round, which trains version 2; the page moves to it.
    await viewProducts(page, 'books', ['sku-00021']);
    await expect(status).toContainText('model small v2', { timeout: 30_000 });
    await expect(status).toContainText('from network');
    await expect(status).toContainText('personalised (5 steps on 7 events');
    // Its next delta is against version 2, for round 2.
    await expect(status).toContainText(`federated: uploaded (round 2, `);
    expect(await seen()).toEqual({ personalised: ['demand', 'idle', 'idle', 'model-updated'], federated: ['uploaded', expect.stringMatching(/^(uploaded|already-sent)$/), 'model-version', 'uploaded'] });
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    expect(manifests()).toBe(2);
    const uploads = network.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/v1/updates'));
    expect(uploads.map((u) => u.url)).toEqual([`${fed}/v1/updates`, `${fed}/v1/updates`]);

    // Version 2 was trained by the server, so its round asks for one quality report on it against version 1:
    // 28 bytes (the fixture checks every request for the item ids and events this shopper made).
    await expect.poll(() => network.requests.filter((r) => r.url === `${fed}/v1/reports`).length, { timeout: 15_000 }).toBe(1);
    const report = network.requests.find((r) => r.url === `${fed}/v1/reports`)!;
    expect(report.body!.length).toBe(28);
    expect(report.body!.length).toBeLessThanOrEqual(REPORT_BYTES_MAX);
    expect(report.body!.slice(0, 4)).toBe('LRFQ');
    expect(report.headers['content-type']).toBe('application/octet-stream');
    expect(report.headers.cookie).toBeUndefined();
    await expect.poll(async () => /localrec_fed_reports_accepted_total (\d+)/.exec(await (await fetch(`${fed}/metrics`)).text())?.[1]).toBe('1');
    await page.locator('a.logo').click();
    const forYou = page.locator('[data-strip="for-you"]');
    await expect(forYou).toHaveAttribute('data-personalised', 'true');
    await expect(forYou.locator('.rec-card')).toHaveCount(6);
  } finally {
    await own.server.kill('SIGTERM');
    await rm(own.dataDir, { recursive: true, force: true });
  }
});

/**
 * What a shop retrains on (train --from): 300 shoppers each browsing one category of the
 * served catalogue, and 10 items the catalogue does not have yet, with their metadata.
 */
async function newEvents(dir: string): Promise<{ newIds: string[] }> {
  const { items } = fixtureWeights(FIXTURES.find((f) => f.name === 'small')!);
  const categories = [...new Set(items.map((it) => it.categories[0]))];
  const newIds = Array.from({ length: 10 }, (_, k) => `sku-new-${k}`);
  const added = newIds.map((id, k) => ({ id, title: `${categories[k % categories.length]} item new ${k}`, categories: [categories[k % categories.length]], brand: `brand${k % 7}`, price: 20 }));
  const catalogue = [...items, ...added];
  const t0 = Date.UTC(2026, 0, 1);
  const rows = ['user,item,type,timestamp'];
  for (let u = 0; u < 300; u++) {
    const c = u % categories.length;
    const inCategory = catalogue.filter((it) => it.categories[0] === categories[c]);
    for (let j = 0; j < 8; j++) rows.push(`u${u},${inCategory[(u * 7 + j * 13) % inCategory.length].id},${j === 7 ? 'cart' : 'view'},${t0 + u * 3_600_000 + j * 60_000}`);
  }
  await writeFile(join(dir, 'events.csv'), rows.join('\n') + '\n');
  await writeFile(join(dir, 'items.jsonl'), catalogue.map((it) => JSON.stringify({ id: it.id, title: it.title, categories: it.categories, brand: it.brand, price: it.price })).join('\n') + '\n');
  return { newIds };
}

test('a retrained model (train --from the served version) published by restarting the server reaches a running page without a reload', async ({ page, network, baseURL }) => {
  test.setTimeout(120_000);
  const own = await startServer(new URL(baseURL!).origin);
  const work = await mkdtemp(join(tmpdir(), 'localrec-e2e-from-'));
  try {
    const fed = own.server.url;
    network.federatedOrigins!.push(new URL(fed).origin);
    for (const s of [...clicked, bought, 'sku-00021', '"type"', 'purchase', 'sku-']) network.secrets.add(s);
    const token = mintToken(SECRET, 'e2edevice04', Date.now() + 600_000);
    const status = page.locator('#status');
    await page.goto(`/demo/?model=${encodeURIComponent(`${fed}/v1/model/manifest.json`)}&fed=${encodeURIComponent(fed)}&fedToken=${token}&consent=1&backend=wasm`);
    await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    const seen = await recordEvents(page);
    await shop(page);
    await expect(status).toContainText('model small v1');
    await expect.poll(async () => (await seen()).personalised).toEqual(['demand', 'idle']);

    // The shop retrains from the version the server serves, as an operator would (the CLI).
    const { newIds } = await newEvents(work);
    const train = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/train.ts', '--from', join(own.dataDir, 'models', 'v1'), '--data', work, '--out', join(work, 'next'), '--meta-steps', '4', '--no-checkpoint', '--threads', '1'],
      { encoding: 'utf8', timeout: 90_000 },
    );
    expect(train.status, train.stderr).toBe(0);
    expect(train.stdout).toMatch(/continuing small version 1 as version 2: its 500 items keep their rows .* 10 new items start from their content features/);

    // Restarted on the same address with the retrained model: the server publishes it as version 2.
    const port = new URL(fed).port;
    await own.server.kill('SIGTERM');
    own.server = await spawnServer(['--model', join(work, 'next'), '--data', own.dataDir, '--origin', new URL(baseURL!).origin, '--min-clients', '2', '--round-ms', '1', '--rate-limit', '0', '--port', port], { LOCALREC_FED_SECRET: SECRET });
    expect(own.server.url).toBe(fed);
    expect(await round(own.server)).toMatchObject({ modelVersion: 2 });
    const v2 = (await (await fetch(`${fed}/v1/models/2/manifest.json`)).json()) as { itemIds: string[] };
    expect(v2.itemIds.slice(500)).toEqual(newIds);
    expect(v2.itemIds.slice(0, 3)).toEqual(['sku-00000', 'sku-00001', 'sku-00002']);

    // The page's next idle moment asks for the round, learns of version 2 and moves to it, in the same document.
    await viewProducts(page, 'books', ['sku-00021']);
    await expect(status).toContainText('model small v2', { timeout: 30_000 });
    await expect(status).toContainText('personalised (5 steps on 7 events');
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    await page.locator('a.logo').click();
    const forYou = page.locator('[data-strip="for-you"]');
    await expect(forYou).toHaveAttribute('data-personalised', 'true');
    await expect(forYou.locator('.rec-card')).toHaveCount(6);
  } finally {
    await own.server.kill('SIGTERM');
    await rm(own.dataDir, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
});

test("without consent ('pending') the demo stores, personalises and sends nothing", async ({ page, network }) => {
  network.federatedOrigins!.push(new URL(server.url).origin);
  const accepted = async () => /localrec_fed_updates_accepted_total (\d+)/.exec(await (await fetch(`${server.url}/metrics`)).text())![1];
  const before = await accepted();
  const token = mintToken(SECRET, 'e2edevice02', Date.now() + 600_000);
  await page.goto(`/demo/?model=/test-models/small/manifest.json&fed=${encodeURIComponent(server.url)}&fedToken=${token}&consent=pending&backend=wasm`);
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  await shop(page);
  await page.waitForTimeout(1500);
  const status = page.locator('#status');
  await expect(status).toContainText('0 events');
  await expect(status).toContainText('not personalised yet');
  await expect(status).toContainText('federated: nothing sent yet');
  expect(await page.evaluate(() => (window.localrec as import('../../src/embed/queue').EmbedApi).ready.then((c) => c?.status()).then((s) => s?.consent))).toBe('pending');
  expect(network.requests.filter((r) => new URL(r.url).origin === new URL(server.url).origin)).toEqual([]);
  expect(await accepted()).toBe(before);
});

test('the network recorder flags an upload or report that carries an item id, a report over 200 bytes, and any other request to the federated server', async ({ network }) => {
  // Guards the guard: the fixture's check applied to deliberately bad federated requests.
  const { problems } = await import('./fixtures');
  const fed = 'http://127.0.0.1:9';
  const rec: import('./fixtures').NetworkRecorder = {
    requests: [
      { method: 'POST', url: `${fed}/v1/updates`, headers: { 'content-type': 'application/octet-stream' }, body: 'LRFD\u0001\u0000sku-00001' },
      { method: 'POST', url: `${fed}/v1/collect`, headers: {}, body: 'x' },
      { method: 'GET', url: `${fed}/v1/updates?item=1`, headers: {}, body: null },
      { method: 'POST', url: `${fed}/v1/reports`, headers: {}, body: 'LRFQ'.padEnd(201, 'x') },
      { method: 'POST', url: `${fed}/v1/reports`, headers: {}, body: 'LRFQ user=sku-00001' },
    ],
    secrets: new Set(['sku-00001']),
    federatedOrigins: [fed],
  };
  expect(problems(rec, 'http://127.0.0.1:5187')).toEqual([
    `request carries "sku-00001": ${fed}/v1/updates`,
    `unexpected federated request: POST ${fed}/v1/collect`,
    `unexpected federated request: GET ${fed}/v1/updates?item=1`,
    `unexpected federated request: POST ${fed}/v1/reports`,
    `request carries "sku-00001": ${fed}/v1/reports`,
  ]);
  expect(network.requests).toEqual([]);
});
