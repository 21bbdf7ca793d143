import { describe, expect, it } from 'vitest';
import { chooseBackend } from '../../../src/browser/worker-backend';
import { PlainScorer } from '../../../src/model/scorer';

describe("the 'plain' backend", () => {
  it('is chosen without loading tfjs, with a plain scorer and a probe at the catalogue size', async () => {
    const choice = await chooseBackend('plain', null, 20_000);
    expect(choice).toMatchObject({ name: 'plain', forced: true, probes: [{ name: 'plain', ok: true }] });
    expect(choice.probes[0].ms).toBeGreaterThan(0);
    const scorer = choice.scorer({ n: 2, d: 2, out: Float32Array.of(1, 0, 0, 1), bias: Float32Array.of(0.5, 0) });
    expect(scorer).toBeInstanceOf(PlainScorer);
    expect(Array.from(await scorer.scores(Float32Array.of(2, 3), 1))).toEqual([2.5, 3]);
    expect(choice.tfjsBytes()).toBe(0);
    // tfjs-core registers its engine on this global when it is imported; nothing here imported it.
    expect((globalThis as { _tfengine?: unknown })._tfengine).toBeUndefined();
  });
});
