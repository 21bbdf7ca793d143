/**
 * The flags of `simulate`: one valibot schema with bounds and one flag table, registered
 * with commander like the shared pipeline flags (options.ts). Imports nothing heavy.
 */
import type { Command } from 'commander';
import * as v from 'valibot';
import { AGGREGATORS } from '../federated/aggregate';
import { DEVICE_UPDATE } from '../federated/device-task';
import { DEFAULT_GUARD } from '../federated/guard';
import { DEFAULT_POLICY } from '../federated/round';
import { CLIENT_UPDATES } from '../sim/sampling';
import { addFlagTable, count, FLAG_BOUNDS, oneOf, positive, readFlagTable, type FlagSpec } from './options';

const share = (min: number, max: number, what: string) =>
  v.pipe(v.number('expected a number'), v.finite('expected a number'), v.minValue(min, `expected ${what}`), v.maxValue(max, `expected ${what}`));
const multiplier = share(0, 100, 'a noise multiplier from 0 to 100');

export const SimFlagsSchema = v.strictObject({
  rounds: count(1, 10_000),
  clientsPerRound: count(1, 1_000_000),
  evalEvery: count(1, 10_000),
  k: count(1, FLAG_BOUNDS.k),
  clip: positive(1000),
  noise: multiplier,
  localNoise: multiplier,
  aggregator: oneOf(AGGREGATORS),
  trim: v.pipe(share(0, 0.49, 'a share from 0 to 0.49')),
  serverLr: positive(1000),
  clientUpdate: oneOf(CLIENT_UPDATES),
  clientLr: positive(1000),
  dpDelta: v.optional(v.pipe(v.number('expected a number'), v.gtValue(0, 'expected δ in (0, 1)'), v.ltValue(1, 'expected δ in (0, 1)'))),
  miaTrials: count(1, 100_000),
  miaLocalNoise: multiplier,
  poisonRounds: count(1, 10_000),
  poisonShare: v.pipe(v.number('expected a number'), v.gtValue(0, 'expected a share in (0, 0.5]'), v.maxValue(0.5, 'expected a share in (0, 0.5]')),
  poisonScale: positive(1e6),
  guardEvery: count(0, 10_000),
  maxEpsilon: v.pipe(v.number('expected a number'), v.finite('expected a number'), v.minValue(0, 'expected ε ≥ 0 (0 = no budget)')),
  guardNoise: multiplier,
  guardMargin: share(0, 100, 'a number of standard errors from 0 to 100'),
  guardPatience: count(1, 1000),
  guardAnneal: v.pipe(v.number('expected a number'), v.gtValue(0, 'expected a factor in (0, 1]'), v.maxValue(1, 'expected a factor in (0, 1]')),
});
export type SimFlags = v.InferOutput<typeof SimFlagsSchema>;

/**
 * Defaults (docs/federated.md, "Simulation"): the client update is the Worker's (FOMAML,
 * step size DEVICE_UPDATE.lr); C = 0.25 (honest FOMAML deltas on the shop have a mean norm
 * of 0.34): the smallest bound measured that kept the shop above 95% of central on most
 * seeds while holding every attack under 2% over 30 rounds with the mean, which keeps the
 * DP proof (C = 0.5 let a push attack cost 2–6%); z = 1 with ~64 clients a round. The
 * server's defaults are the same values (DEFAULT_POLICY, declared once there).
 */
export const SIM_DEFAULTS: SimFlags = {
  rounds: 100,
  clientsPerRound: 64,
  evalEvery: 10,
  k: 5,
  clip: DEFAULT_POLICY.clip,
  noise: DEFAULT_POLICY.centralNoise,
  localNoise: 0,
  aggregator: 'mean',
  trim: 0.1,
  serverLr: 1,
  clientUpdate: 'fomaml',
  clientLr: DEVICE_UPDATE.lr,
  dpDelta: undefined,
  miaTrials: 100,
  miaLocalNoise: 1,
  poisonRounds: 30,
  poisonShare: 0.1,
  poisonScale: 10,
  guardEvery: 0,
  maxEpsilon: DEFAULT_POLICY.maxEpsilon,
  guardNoise: DEFAULT_GUARD.noise,
  guardMargin: DEFAULT_GUARD.margin,
  guardAnneal: DEFAULT_GUARD.anneal,
  guardPatience: DEFAULT_GUARD.patience,
};

type SimFlag = FlagSpec<keyof SimFlags> & { input: 'number' | 'text' };

export const SIM_FLAGS: readonly SimFlag[] = [
  { key: 'rounds', flags: '--rounds <n>', help: 'federated rounds per run', input: 'number' },
  { key: 'clientsPerRound', flags: '--clients-per-round <n>', help: 'expected clients per round (Poisson sampling at rate n / clients)', input: 'number' },
  { key: 'evalEvery', flags: '--eval-every <n>', help: 'score the test users every n rounds', input: 'number' },
  { key: 'k', flags: '--k <n>', help: 'support size of the test users (the cold-start protocol)', input: 'number' },
  { key: 'clip', flags: '--clip <x>', help: 'L2 bound of each client delta', input: 'number' },
  { key: 'noise', flags: '--noise <z>', help: 'central noise multiplier (std z·clip on the sum; 0 = no DP)', input: 'number' },
  { key: 'localNoise', flags: '--local-noise <σ>', help: 'local noise multiplier on each upload (0 = none)', input: 'number' },
  { key: 'aggregator', flags: '--aggregator <how>', help: `server aggregation: ${AGGREGATORS.join(', ')}`, input: 'text' },
  { key: 'trim', flags: '--trim <share>', help: "share cut from each end per coordinate by 'trimmed-mean'", input: 'number' },
  { key: 'serverLr', flags: '--server-lr <β>', help: 'server step: θ ← θ + β·aggregate', input: 'number' },
  { key: 'clientUpdate', flags: '--client-update <how>', help: "what a device uploads: 'fomaml' (one meta step on its own later interactions; what the Worker sends) or 'reptile' (its personalised tower − the model)", input: 'text' },
  { key: 'clientLr', flags: '--client-lr <x>', help: "step size of a device's 'fomaml' meta step", input: 'number' },
  { key: 'dpDelta', flags: '--dp-delta <δ>', help: 'δ of the reported (ε, δ) (default 0.1 / clients)', input: 'number' },
  { key: 'miaTrials', flags: '--mia-trials <n>', help: 'membership-inference trials (one target client each)', input: 'number' },
  { key: 'miaLocalNoise', flags: '--mia-local-noise <σ>', help: 'local noise of the protected upload in the membership-inference test', input: 'number' },
  { key: 'poisonRounds', flags: '--poison-rounds <n>', help: 'rounds of each poisoning run', input: 'number' },
  { key: 'poisonShare', flags: '--poison-share <share>', help: 'share of clients that are malicious', input: 'number' },
  { key: 'maxEpsilon', flags: '--max-epsilon <ε>', help: "the server's privacy budget on the DP run: no round once ε would exceed it (0 = none)", input: 'number' },
  { key: 'guardEvery', flags: '--guard-every <n>', help: 'federated evaluation and the guard: devices report hit@10 of the candidate and the reference, a decision every n rounds (0 = off)', input: 'number' },
  { key: 'guardNoise', flags: '--guard-noise <z>', help: "central noise multiplier on the devices' report sums", input: 'number' },
  { key: 'guardMargin', flags: '--guard-margin <x>', help: 'roll back when the candidate is worse than the reference by more than x standard errors', input: 'number' },
  { key: 'guardAnneal', flags: '--guard-anneal <factor>', help: 'multiply the server step by this when the devices find the candidate no better than the reference (1 = a constant step)', input: 'number' },
  { key: 'guardPatience', flags: '--guard-patience <n>', help: 'anneal the server step once n decisions in a row found no improvement (and at each further one)', input: 'number' },
  { key: 'poisonScale', flags: '--poison-scale <x>', help: "how much a 'scale' or 'flip' attacker scales its delta (the norm bound still cuts it)", input: 'number' },
];

export function addSimFlags(cmd: Command): Command {
  return addFlagTable(cmd, SIM_FLAGS, SimFlagsSchema.entries, SIM_DEFAULTS);
}

export function simFlags(opts: Record<string, unknown>): SimFlags {
  return readFlagTable(SimFlagsSchema, SIM_FLAGS, opts);
}
