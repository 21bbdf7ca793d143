import { describe, expect, it } from 'vitest';
import { BestSnapshot } from '../../../src/train/early-stopping';

describe('BestSnapshot', () => {
  it('keeps a copy of the model at the best validation, not the live one', () => {
    const live = { w: 1 };
    const best = new BestSnapshot((m: { w: number }) => ({ ...m }), { model: live, at: 0, validation: -Infinity });
    best.record(1, 0.5, live);
    live.w = 2;
    best.record(2, 0.4, live);
    expect(best.best).toEqual({ at: 1, validation: 0.5 });
    expect(best.model).toEqual({ w: 1 });
  });

  it('says stop after `patience` evaluations in a row without improvement, and an improvement resets the count', () => {
    const best = new BestSnapshot((m: number) => m, { model: 0, at: 0, validation: -Infinity }, 2);
    expect(best.record(1, 0.3, 1)).toBe(false);
    expect(best.record(2, 0.3, 2)).toBe(false); // a tie is no improvement
    expect(best.record(3, 0.4, 3)).toBe(false);
    expect(best.record(4, 0.1, 4)).toBe(false);
    expect(best.record(5, 0.2, 5)).toBe(true);
    expect(best.model).toBe(3);
  });

  it('never says stop without a patience', () => {
    const best = new BestSnapshot((m: number) => m, { model: 0, at: 0, validation: 1 });
    for (let i = 1; i < 20; i++) expect(best.record(i, 0, i)).toBe(false);
    expect(best.best).toEqual({ at: 0, validation: 1 });
  });
});
