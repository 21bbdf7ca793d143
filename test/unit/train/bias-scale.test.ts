import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import { buildColdStartSplit } from '../../../src/data/split';
import { generateShop } from '../../../src/data/synthetic-shop';
import { ValidationCriterion } from '../../../src/eval/validation';
import { DEFAULT_CONTENT, DEFAULT_POOLING, initTower, type ModelConfig, type ModelWeights } from '../../../src/model/weights';
import { chooseBiasScale, scaleBias } from '../../../src/train/bias-scale';
import { initNodeTf } from '../../../src/train/tf-node';

beforeAll(() => initNodeTf());

const split = buildColdStartSplit(generateShop({ seed: 3, users: 300, items: 120 }));
const counts = split.validation.train.itemCounts;
const n = counts.length;
const d = 4;
const rng = createRng(5);
const config: ModelConfig = { pooling: DEFAULT_POOLING, inner: { steps: 0, lr: 0.05, debias: true }, content: DEFAULT_CONTENT };

/** Random item rows (a noisy personal part) and a bias that is ± log-popularity. */
function weights(sign: 1 | -1): ModelWeights {
  const table = () => Float32Array.from({ length: n * d }, () => rng.normal());
  return {
    n,
    d,
    hidden: 4,
    itemIn: table(),
    itemOut: table(),
    itemBias: Float32Array.from(counts, (c) => sign * Math.log(1 + c)),
    tower: initTower(d, 4, () => 0.1 * rng.normal()),
    contentProj: new Float32Array(0),
  };
}
const criterion = new ValidationCriterion(split.validation.evalUsers, counts, [3], 'full');

describe('the shipped bias scale', () => {
  it('multiplies every item bias and leaves everything else as it was', () => {
    const w = weights(1);
    const scaled = scaleBias(w, 2);
    expect(Array.from(scaled.itemBias)).toEqual(Array.from(w.itemBias, (b) => Math.fround(2 * b)));
    expect(scaled.itemOut).toBe(w.itemOut);
    expect(scaleBias(w, 1)).toBe(w);
  });

  it('keeps a requested value without looking at validation users', async () => {
    expect(await chooseBiasScale(1.5, criterion, weights(1), config, weights(1).tower, config.inner)).toEqual({ value: 1.5, chosen: 'fixed' });
    expect(await chooseBiasScale(0, null, weights(1), config, weights(1).tower, config.inner)).toEqual({ value: 1, chosen: 'fixed' });
  });

  it('leans further on a bias that predicts what validation users do, and away from one that does not', async () => {
    const helpful = weights(1);
    const up = await chooseBiasScale(0, criterion, helpful, config, helpful.tower, config.inner);
    expect(up.chosen).toBe('validation');
    expect(up.value).toBeGreaterThan(1);
    expect(up.validation).toBe(Math.max(...up.trials!.map((t) => t.score)));

    const harmful = weights(-1);
    const down = await chooseBiasScale(0, criterion, harmful, config, harmful.tower, config.inner);
    expect(down.value).toBeLessThan(1);
  });
});
