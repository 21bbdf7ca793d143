/**
 * The pooling's half-lives name their units (halfLifeHours, halfLifePositions). Manifests
 * written before carry halfLifeDays (the trainer wrote hours / 24) and recencyHalfLife;
 * they must keep loading with the same meaning, down to the pooling weights' bits.
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import { neighbour } from '../../../src/eval/grid-search';
import { encodeModel, parseManifest } from '../../../src/model/format';
import type { PoolingConfig } from '../../../src/model/manifest';
import { poolingWeights, type IndexedEvent } from '../../../src/model/pooling';
import { DEFAULT_CONTENT, DEFAULT_INNER, DEFAULT_POOLING, initTower } from '../../../src/model/weights';
import { HOURS_AXIS, withRecency } from '../../../src/train/recency-choice';

type Json = Record<string, unknown>;

/** The pooling weights as main at c722cb9 computed them from a manifest's days and positions (same operations in the same order). */
function poolingWeightsBefore(history: readonly IndexedEvent[], cfg: { maxItems: number; eventWeights: PoolingConfig['eventWeights']; halfLifeDays: number; recencyHalfLife: number }): Float32Array {
  const window = history.slice(Math.max(0, history.length - cfg.maxItems));
  const newest = history[history.length - 1].ts;
  const raw = window.map((e, j) => cfg.eventWeights[e.type] * Math.pow(0.5, (newest - e.ts) / (cfg.halfLifeDays * 86_400_000)) * Math.pow(0.5, (window.length - 1 - j) / cfg.recencyHalfLife));
  const total = raw.reduce((a, b) => a + b, 0);
  return Float32Array.from(raw).map((w) => w / total);
}

/** Every value the recency choice can try on its hours axis: the listed ones and each extension within its bounds. */
function hoursAxisValues(): number[] {
  const out = new Set<number>(HOURS_AXIS.values);
  for (const dir of [-1, 1] as const) {
    let h: number | null = dir === 1 ? HOURS_AXIS.values[HOURS_AXIS.values.length - 1] : HOURS_AXIS.values[0];
    while ((h = neighbour(HOURS_AXIS, h, dir)) !== null) out.add(h);
  }
  return [...out].sort((a, b) => a - b);
}

/** A history of one user over a few weeks: sessions of minutes, days apart, the newest session's events seconds apart (so even the shortest half-life leaves several weights between 0 and the newest's). */
function history(seed: number): IndexedEvent[] {
  const rng = createRng(seed);
  const types = ['view', 'cart', 'purchase'] as const;
  let ts = 1_700_000_000_000;
  return Array.from({ length: 40 }, (_, index) => {
    ts += index >= 32 ? 1_000 + Math.floor(rng.next() * 120_000) : rng.next() < 0.2 ? Math.floor(rng.next() * 5 * 86_400_000) : Math.floor(rng.next() * 600_000);
    return { index, type: types[Math.floor(rng.next() * 3)], ts };
  });
}

async function manifestWith(pooling: Json): Promise<Json> {
  const weights = { n: 2, d: 2, hidden: 2, itemIn: new Float32Array(4), itemOut: new Float32Array(4), itemBias: new Float32Array(2), tower: initTower(2, 2, () => 0), contentProj: new Float32Array(DEFAULT_CONTENT.buckets * 5) };
  const items = ['a', 'b'].map((id) => ({ id, title: id, categories: [] }));
  const { manifest } = await encodeModel({ name: 'm', modelVersion: 1, weights, config: { pooling: DEFAULT_POOLING, inner: DEFAULT_INNER, content: DEFAULT_CONTENT }, items });
  return { ...(JSON.parse(JSON.stringify(manifest)) as Json), pooling };
}

const base = { maxItems: DEFAULT_POOLING.maxItems, eventWeights: DEFAULT_POOLING.eventWeights };

describe('the half-lives in a manifest', () => {
  it('are written as halfLifeHours and halfLifePositions', async () => {
    const { manifest } = await encodeModel({
      name: 'm',
      modelVersion: 1,
      weights: { n: 1, d: 1, hidden: 1, itemIn: new Float32Array(1), itemOut: new Float32Array(1), itemBias: new Float32Array(1), tower: initTower(1, 1, () => 0), contentProj: new Float32Array(3) },
      config: { pooling: withRecency(DEFAULT_POOLING, 2, 4), inner: DEFAULT_INNER, content: { buckets: 1 } },
      items: [{ id: 'a', title: 'a', categories: [] }],
    });
    expect(JSON.parse(JSON.stringify(manifest.pooling))).toEqual({ ...base, halfLifeHours: 4, halfLifePositions: 2 });
  });

  it('read from a manifest written before their names carried units: days × 24 hours, recencyHalfLife positions, none when absent', async () => {
    expect(parseManifest(await manifestWith({ ...base, halfLifeDays: 4 / 24, recencyHalfLife: 2 })).pooling).toEqual({ ...base, halfLifeHours: 4, halfLifePositions: 2 });
    expect(parseManifest(await manifestWith({ ...base, halfLifeDays: null })).pooling).toEqual({ ...base, halfLifeHours: null, halfLifePositions: null });
    expect(parseManifest(await manifestWith({ ...base, halfLifeDays: 1.5 })).pooling).toEqual({ ...base, halfLifeHours: 36, halfLifePositions: null });
    expect(parseManifest(await manifestWith({ ...base, halfLifeHours: null, halfLifePositions: 3 })).pooling).toEqual({ ...base, halfLifeHours: null, halfLifePositions: 3 });
  });

  it.each(hoursAxisValues())('give bit-identical pooling weights for %s hours, whether the manifest says it in days (as the trainer wrote it) or in hours', async (hours) => {
    const legacy = { ...base, halfLifeDays: hours / 24, recencyHalfLife: 2 };
    const fromOld = parseManifest(await manifestWith(legacy)).pooling;
    const fromNew = parseManifest(await manifestWith({ ...base, halfLifeHours: hours, halfLifePositions: 2 })).pooling;
    for (const seed of [1, 2, 3]) {
      const h = history(seed);
      const before = poolingWeightsBefore(h, legacy);
      expect(before.some((w) => w > 0 && w < Math.max(...before))).toBe(true); // the half-life bites
      expect(Array.from(poolingWeights(h, fromOld).weights)).toEqual(Array.from(before));
      expect(Array.from(poolingWeights(h, fromNew).weights)).toEqual(Array.from(before));
    }
  });

});
