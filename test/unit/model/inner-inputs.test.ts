import { beforeAll, describe, expect, it } from 'vitest';
import { innerInputs, disposeInnerInputs } from '../../../src/model/inner-inputs';
import { DEFAULT_POOLING } from '../../../src/model/weights';
import type { HistoryEvent } from '../../../src/model/pooling';
import { initNodeTf } from '../../../src/train/tf-node';

const d = 2;
const n = 6;
// Item i's input embedding is (i, 1), so a pooled mean is easy to check by hand.
const itemIn = Float32Array.from({ length: n * d }, (_, j) => (j % 2 === 0 ? j / 2 : 1));
const history: HistoryEvent[] = [0, 2, 3, 5].map((index, ts) => ({ index, type: 'view', ts }));
const inner = { steps: 1, lr: 0.1, objective: 'leave-one-out' as const };

describe('leave-one-out inner inputs', () => {
  beforeAll(() => initNodeTf());

  it('hold out every window position by default, each row pooling the others', async () => {
    const inputs = innerInputs([history], itemIn, d, n, DEFAULT_POOLING, inner);
    expect(inputs.contexts.shape).toEqual([1, 4, d]);
    const ctx = await inputs.contexts.data();
    // Row 0 leaves out item 0: mean of items 2, 3, 5.
    expect(ctx[0]).toBeCloseTo(10 / 3, 5);
    const targets = (await inputs.targets.data()) as Float32Array;
    expect(targets.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    disposeInnerInputs(inputs);
  });

  it('hold out only the positions picked, with the user weight spread over them', async () => {
    const inputs = innerInputs([history], itemIn, d, n, DEFAULT_POOLING, inner, () => [3, 1]);
    expect(inputs.contexts.shape).toEqual([1, 2, d]);
    const ctx = await inputs.contexts.data();
    expect(ctx[0]).toBeCloseTo(5 / 3, 5); // without item 5: mean of 0, 2, 3
    expect(ctx[2]).toBeCloseTo(8 / 3, 5); // without item 2: mean of 0, 3, 5
    const t = (await inputs.targets.data()) as Float32Array;
    expect(t[0 * n + 5]).toBeCloseTo(0.5, 6);
    expect(t[1 * n + 2]).toBeCloseTo(0.5, 6);
    expect(t.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    disposeInnerInputs(inputs);
  });
});
