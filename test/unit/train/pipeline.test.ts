import { beforeAll, describe, expect, it } from 'vitest';
import { buildTrainingData, type TrainingData } from '../../../src/data/split';
import { generateShop } from '../../../src/data/synthetic-shop';
import { trainPipeline, type PipelineResult } from '../../../src/train/pipeline';
import { initNodeTf } from '../../../src/train/tf-node';
import { TINY_PIPELINE as TINY } from '../../fixtures/tiny-pipeline';

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const arrays = (r: PipelineResult) => [r.weights.itemIn, r.weights.itemOut, r.weights.itemBias, r.weights.contentProj, r.weights.tower.w1, r.weights.tower.b1, r.weights.tower.w2, r.weights.tower.b2];
const sameModel = (a: PipelineResult, b: PipelineResult) => arrays(a).every((x, i) => bytes(x).equals(bytes(arrays(b)[i])));

describe('the training pipeline', () => {
  let train: TrainingData;
  beforeAll(async () => {
    await initNodeTf();
    train = buildTrainingData(generateShop({ users: 120, items: 40, seed: 7 }));
  });

  it('trains the same model on 1 and on 2 threads', async () => {
    const one = await trainPipeline(train, { ...TINY, threads: 1 });
    const two = await trainPipeline(train, { ...TINY, threads: 2 });
    expect(sameModel(two, one)).toBe(true);
    expect(two.config).toEqual(one.config);
  });

  it('scores a fixed sample of the validation users when the fold has more than validationUsers', async () => {
    const all = await trainPipeline(train, { ...TINY, threads: 1 });
    const fold = all.report.validationUsers as number;
    expect(fold).toBeGreaterThan(10);
    expect(all.report.validationUsersInFold).toBeUndefined();
    const sampled = await trainPipeline(train, { ...TINY, threads: 1, validationUsers: 10 });
    expect(sampled.report.validationUsers).toBe(10);
    expect(sampled.report.validationUsersInFold).toBe(fold);
    // The same seed draws the same sample, so the model is reproducible.
    expect(sameModel(await trainPipeline(train, { ...TINY, threads: 1, validationUsers: 10 }), sampled)).toBe(true);
  });
});
