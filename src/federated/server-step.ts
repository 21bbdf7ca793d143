/**
 * The server's update as a pure function: aggregate the round's deltas, add the central
 * DP noise, take the outer step θ ← θ + β·aggregate. The coordinator publishes its result;
 * the simulator (src/sim/round.ts) calls the same function every simulated round.
 */
import { LocalrecError } from '../errors';
import { addCentralNoise, aggregate } from './aggregate';
import type { NormalSource } from './clip';
import { addScaled } from './delta';
import type { RoundPolicy } from './round';

export type ServerStepOptions = Pick<RoundPolicy, 'aggregator' | 'trim' | 'clip' | 'centralNoise' | 'serverLr'> & {
  /**
   * Mean only: divide the sum by this fixed number instead of the number of updates. With
   * Poisson client sampling (the simulator) this is the expected count, so the released
   * model depends on one client only through its clipped delta (sensitivity clip / denominator)
   * and the accountant's assumption holds (McMahan et al. 2018, fixed-denominator estimator).
   */
  denominator?: number;
};

export function serverStep(theta: Float32Array, deltas: readonly Float32Array[], o: ServerStepOptions, normal: NormalSource): { theta: Float32Array; aggregate: Float32Array } {
  const agg = aggregate(deltas, o.aggregator, o.trim);
  let m = deltas.length;
  if (o.denominator !== undefined) {
    if (o.aggregator !== 'mean') throw new LocalrecError('invalid-argument', 'a fixed denominator applies to the mean only');
    if (!(o.denominator > 0)) throw new LocalrecError('invalid-argument', `denominator must be > 0, got ${o.denominator}`);
    const s = deltas.length / o.denominator;
    for (let i = 0; i < agg.length; i++) agg[i] *= s;
    m = o.denominator;
  }
  addCentralNoise(agg, m, o.clip, o.centralNoise, normal);
  return { theta: addScaled(theta, agg, o.serverLr), aggregate: agg };
}
