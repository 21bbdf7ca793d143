import { beforeAll, describe, expect, it } from 'vitest';
import { buildTrainingData, type TrainingData } from '../../../src/data/split';
import { generateShop } from '../../../src/data/synthetic-shop';
import type { Dataset } from '../../../src/data/types';
import { buildCatalogue } from '../../../src/model/catalogue';
import { decodeModel, type LoadedModel } from '../../../src/model/format';
import { buildModel } from '../../../src/train/build-model';
import { continueFrom } from '../../../src/train/from-model';
import { trainPipeline, type PipelineOptions } from '../../../src/train/pipeline';
import { initNodeTf } from '../../../src/train/tf-node';
import { TINY_PIPELINE } from '../../fixtures/tiny-pipeline';

const TINY: PipelineOptions = { ...TINY_PIPELINE, threads: 1 };

/** The shop's first 70% of time without every fifth item: what the published model saw. */
function earlier(shop: Dataset): { old: Dataset; newIds: Set<string> } {
  const ids = [...shop.items.keys()].sort();
  const newIds = new Set(ids.filter((_, i) => i % 5 === 0));
  const ts = shop.interactions.map((e) => e.ts).sort((a, b) => a - b);
  const cut = ts[Math.floor(ts.length * 0.7)];
  return {
    old: { name: 'old', interactions: shop.interactions.filter((e) => e.ts < cut && !newIds.has(e.item)), items: new Map([...shop.items].filter(([id]) => !newIds.has(id))) },
    newIds,
  };
}

describe('train --from: continuing a published model', () => {
  let base: LoadedModel;
  let all: TrainingData;
  let newIds: Set<string>;
  beforeAll(async () => {
    await initNodeTf();
    const shop = generateShop({ users: 150, items: 40, seed: 7 });
    const e = earlier(shop);
    newIds = e.newIds;
    const { encoded } = await buildModel({ data: 'old', name: 'shop', modelVersion: 3, train: buildTrainingData(e.old), opts: TINY });
    base = await decodeModel(encoded.manifest, encoded.files);
    all = buildTrainingData(shop);
  });

  it('keeps every known item at its row and appends new items with their content rows', () => {
    const { train, start } = continueFrom(base, all);
    const known = base.items.map((it) => it.id);
    expect(train.catalogue.ids.slice(0, known.length)).toEqual(known);
    const added = train.catalogue.ids.slice(known.length);
    expect(added.length).toBeGreaterThan(0);
    expect(added.every((id) => newIds.has(id))).toBe(true);
    expect(start.facts).toMatchObject({ known: known.length, added: added.length, contentRows: true });
    // New rows are what the browser computes for an unseen item (buildCatalogue), known rows the published ones.
    const browser = buildCatalogue(base, added.map((id) => all.items.get(id)!));
    expect(start.model.itemIn).toEqual(browser.weights.itemIn);
    expect(start.model.itemBias).toEqual(browser.weights.itemBias);
    expect(start.model.itemOut.subarray(0, known.length * base.weights.d)).toEqual(base.weights.itemOut);
    expect(start.version).toBe(3);
    // The same events, by id, under the new indices.
    const byId = (t: TrainingData) => t.users.map((u) => u.events.map((ev) => `${t.catalogue.ids[ev.index]}:${ev.type}:${ev.ts}`));
    expect(byId(train)).toEqual(byId(all));
    expect(train.itemCounts.reduce((a, c) => a + c, 0)).toBe(all.nInteractions);
  });

  it('fine-tunes from the published model, keeps its on-device settings, and is never worse on validation than where it started', async () => {
    const { train, start } = continueFrom(base, all);
    const r = await trainPipeline(train, { ...TINY, student: { ...TINY.student, epochs: 2 } }, {}, undefined, { from: start });
    expect(r.weights.n).toBe(train.catalogue.ids.length);
    expect(r.config).toEqual(base.config);
    expect(r.report.teacher).toBeUndefined();
    expect(r.report.recency).toBeUndefined();
    const student = r.report.student as { validationNdcg10: number; startValidationNdcg10: number };
    expect(student.validationNdcg10).toBeGreaterThanOrEqual(student.startValidationNdcg10);
    // Either an evaluation beat the start and its tables ship, or none did and the published ones are kept as they were.
    if ((r.report.student as { bestEpoch: number }).bestEpoch > 0) expect(r.student.itemOut).not.toEqual(start.model.itemOut);
    else expect(r.student.itemOut).toEqual(start.model.itemOut);
  });

  it('continues with an imported teacher too: the student distils from it while it fine-tunes', async () => {
    const { train, start } = continueFrom(base, all);
    // A stand-in for another engine's embeddings: the published model's own rows, through an identity tower.
    const { n, d } = start.model;
    const teacher = { model: { ...start.model, hidden: 1, tower: { w1: new Float32Array(d), b1: new Float32Array(1), w2: new Float32Array(d), b2: new Float32Array(d) } }, key: 'stand-in', facts: { layout: 'test', d } };
    const withTeacher = await trainPipeline(train, TINY, {}, undefined, { from: start, teacher });
    expect(withTeacher.report.teacher).toMatchObject({ imported: true });
    expect(withTeacher.weights.n).toBe(n);
    expect((withTeacher.report.student as { startValidationNdcg10?: number }).startValidationNdcg10).toBeTypeOf('number');
    const without = await trainPipeline(train, TINY, {}, undefined, { from: start });
    if ((without.report.student as { bestEpoch: number }).bestEpoch > 0 || (withTeacher.report.student as { bestEpoch: number }).bestEpoch > 0) {
      expect(withTeacher.student.itemOut).not.toEqual(without.student.itemOut);
    }
  });
});
