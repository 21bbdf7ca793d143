import { existsSync } from 'node:fs';
import { createClient, expect, measuredStatus, openHarness, SHOP, SMALL, test } from './fixtures';

/** Items from different categories, so scores depend on a non-trivial pooled context. */
const HISTORY = ['sku-00001', 'sku-00006', 'sku-00012', 'sku-00013'];

async function topTen(page: import('@playwright/test').Page, backend: string, model: string, events: string[]) {
  await createClient(page, backend, { model, backend: backend as 'cpu', storage: 'memory', personaliseDebounceMs: 0, dbName: `parity-${backend}` });
  return page.evaluate(
    async ([b, evs]) => {
      const c = window.lrs[b];
      if (evs.length) await c.track(evs.map((item, i) => ({ item, type: 'view' as const, ts: Date.UTC(2024, 0, 1) + i })));
      const before = await c.recommend({ n: 10 });
      await c.personalise({ steps: 5 });
      const after = await c.recommend({ n: 10 });
      const status = await c.status();
      return { before: before.items, after: after.items, backend: status.backend };
    },
    [backend, events] as const,
  );
}

async function itemIds(page: import('@playwright/test').Page, model: string): Promise<string[]> {
  const m = await page.evaluate(async (url) => (await fetch(url)).json(), model);
  return (m as { itemIds: string[] }).itemIds;
}

function expectSame(cpu: { id: string; score: number }[], other: { id: string; score: number }[]) {
  expect(other.map((r) => r.id)).toEqual(cpu.map((r) => r.id));
  other.forEach((r, i) => expect(Math.abs(r.score - cpu[i].score)).toBeLessThan(1e-3));
}

for (const [model, label] of [
  [SHOP, 'the shipped shop model'],
  [SMALL, 'the fixture model'],
] as const) {
  for (const backend of ['plain', 'wasm', 'webgl', 'webgpu'] as const) {
    const tag = backend === 'webgpu' ? ' @webgpu' : '';
    test(`the ${backend} backend loads ${label} and returns the same top-10 as cpu, before and after personalising${tag}`, async ({ page, network }) => {
      if (model === SHOP) expect(existsSync('public/models/shop/manifest.json'), 'the default model public/models/shop/ is missing').toBe(true);
      await openHarness(page);
      const ids = await itemIds(page, model);
      const history = model === SMALL ? HISTORY : [ids[0], ids[5], ids[11], ids[12]];
      history.forEach((h) => network.secrets.add(h));
      const cpu = await topTen(page, 'cpu', model, history);
      const other = await topTen(page, backend, model, history);
      expect(other.backend).toMatchObject({ name: backend, forced: true });
      expect(cpu.before).toHaveLength(10);
      expectSame(cpu.before, other.before);
      expectSame(cpu.after, other.after);
    });
  }
}

test('auto measures every available backend after the first recommendation and reports why the others were not chosen', async ({ page }) => {
  await openHarness(page);
  const start = await createClient(page, 'auto', { model: SMALL, storage: 'memory' });
  expect(start.backend).toMatchObject({ name: 'plain', source: 'pending', forced: false });
  const s = await measuredStatus(page, 'auto');
  const probes = s.backend!.probes;
  expect(s.backend).toMatchObject({ forced: false, source: 'probed' });
  expect(probes.find((p) => p.name === 'webgpu')).toMatchObject({ ok: false, reason: expect.stringMatching(/adapter|gpu/i) });
  const ok = probes.filter((p) => p.ok);
  expect(ok.map((p) => p.name).sort()).toEqual(['cpu', 'plain', 'wasm', 'webgl']);
  // The fastest probe wins; two probes can tie (a Worker's timer is coarse), and then the
  // choice keeps the one probed first, which need not be the first in this list.
  const chosen = ok.find((p) => p.name === s.backend!.name);
  expect(chosen?.ms).toBe(Math.min(...ok.map((p) => p.ms!)));
  for (const p of ok) if (p.name !== chosen!.name) expect(p.reason).toMatch(/slower/);
});

test('auto ranks a SwiftShader WebGPU adapter below webgl and wasm @webgpu', async ({ page }) => {
  await openHarness(page);
  await createClient(page, 'auto', { model: SMALL, storage: 'memory' });
  const s = await measuredStatus(page, 'auto');
  expect(s.backend!.name).not.toBe('webgpu');
  expect(s.backend!.probes.find((p) => p.name === 'webgpu')).toMatchObject({ ok: false, reason: expect.stringMatching(/software|SwiftShader/) });
});
