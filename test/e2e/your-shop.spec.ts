/**
 * The README's "Your shop in 15 minutes", followed as a shop owner would, with the commands
 * and the snippet read from that section: generate a GA4 export (standing in for BigQuery's),
 * train on it with the default flags, publish the package and the model as static files,
 * put the snippet on a page, grant consent as the README says, and see recommendations
 * titled with the export's item names. The only changes to the README's commands: the
 * files go to a temporary folder, and a smaller export, so training fits in a test.
 */
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPackage } from '../../scripts/build-package';
import { README_CDN } from './readme-snippets';
import { serveStatic, type StaticServer } from './static-server';

/** The README section's fenced blocks of one language. */
function blocks(lang: string): string[] {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('## Your shop in 15 minutes');
  if (start < 0) throw new Error('README.md has no "## Your shop in 15 minutes" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

/** An `npm run …` line of the section as the arguments of `npm`, with the README's folder moved into `dir`. */
function npmCommand(script: string, dir: string): string[] {
  const line = blocks('sh').flatMap((b) => b.split('\n')).find((l) => l.startsWith(`npm run ${script} `));
  if (!line) throw new Error(`README section has no "npm run ${script}" command`);
  return line.replaceAll('my-shop/', `${dir}/my-shop/`).split(/\s+/).slice(1);
}

let dir = '';
let cdn: StaticServer;
let shop: StaticServer;
let items: { id: string; title: string; categories: string[]; brand?: string }[] = [];
let trainOutput = '';

test.beforeAll(async () => {
  test.setTimeout(900_000);
  dir = await mkdtemp(join(tmpdir(), 'localrec-your-shop-'));
  await mkdir(join(dir, 'my-shop'));
  // The README's export command, with a smaller export.
  const generate = npmCommand('data:ga4', dir).map((a, i, all) => (all[i - 1] === '--events' ? '3000' : a));
  execFileSync('npm', generate, { stdio: 'pipe' });
  // The README's train command with the default flags; the model goes to the temporary folder, not public/models.
  const train = [...npmCommand('train', dir), '--out', join(dir, 'models', 'my-shop'), '--no-checkpoint'];
  trainOutput = execFileSync('npm', train, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
  items = JSON.parse(await readFile(join(dir, 'models', 'my-shop', 'items.json'), 'utf8'));
  await buildPackage(join(dir, 'cdn'));
  cdn = await serveStatic({ mounts: { '/localrec/models/': join(dir, 'models'), '/localrec/': join(dir, 'cdn') }, headers: { 'access-control-allow-origin': '*' } });
  const snippet = blocks('html')[0].replaceAll(README_CDN, `${cdn.origin}/localrec/`);
  expect(snippet).toContain(cdn.origin);
  await writeFile(join(dir, 'shop.html'), `<!doctype html><meta charset="utf-8"><title>my shop</title>\n${snippet}`);
  shop = await serveStatic({ mounts: { '/': dir }, handle: (req, res) => req.url === '/favicon.ico' && Boolean(res.writeHead(204).end()) });
});

test.afterAll(async () => {
  await Promise.all([cdn?.close(), shop?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('training on the export says what happened to its rows, in × popularity, and what to do next', () => {
  expect(trainOutput).toMatch(/read events: [\d,]+ rows/);
  expect(trainOutput).toMatch(/skipped [\d,]+ rows of events that are not shopping interactions: page_view/);
  expect(trainOutput).toMatch(/item metadata from the export's items\[\]/);
  expect(trainOutput).toMatch(/validation \d+\.\d\d× popularity/);
  expect(trainOutput).toContain('?model=/models/my-shop/manifest.json');
});

test("the model carries the export's item names and categories", () => {
  expect(items.length).toBeGreaterThan(10);
  for (const it of items) {
    expect(it.title).not.toBe(it.id);
    expect(it.categories.length).toBeGreaterThan(0);
  }
});

test("the README's snippet shows recommendations titled from the export, and tracks once consent is granted as the README says", async ({ page: p }) => {
  const problems: string[] = [];
  p.on('pageerror', (e) => problems.push(e.message));
  await p.goto(`${shop.origin}/shop.html`);
  const titles = p.locator('localrec-recommendations [part~="title"]');
  await expect(titles).toHaveCount(4, { timeout: 60_000 });
  const known = new Set(items.map((it) => it.title));
  for (const t of await titles.allTextContents()) expect(known.has(t)).toBe(true);
  // The README's consent line, then a GA4 push as the shop already makes it, once the consent is applied.
  const consent = () =>
    p.evaluate(async () => {
      const client = await (window as unknown as { localrec: { ready: Promise<{ status(): Promise<{ consent: string }> }> } }).localrec.ready;
      return (await client.status()).consent;
    });
  const tracked = () =>
    p.evaluate(async () => {
      const client = await (window as unknown as { localrec: { ready: Promise<{ exportData(): Promise<{ events: { item: string }[] }> }> } }).localrec.ready;
      return (await client.exportData()).events.map((e) => e.item);
    });
  await p.evaluate(blocks('js')[0]);
  await expect.poll(consent).toBe('granted');
  await p.evaluate((id) => (window as unknown as { dataLayer: unknown[] }).dataLayer.push({ event: 'view_item', ecommerce: { items: [{ item_id: id }] } }), items[0].id);
  await expect.poll(tracked).toEqual([items[0].id]);
  expect(problems).toEqual([]);
});
