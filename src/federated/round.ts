/**
 * The round description the server publishes (GET /v1/round) and the client follows,
 * and the round policy the server applies. Shared by both sides so they cannot drift.
 */
import * as v from 'valibot';
import { LocalrecError } from '../errors';
import type { Aggregator } from './aggregate';
import { DEFAULT_GUARD } from './guard';
import type { PrivacyReport } from './privacy';
import { WIRE_DTYPES, WIRE_VERSION, type WireDtype } from './wire';

export const ROUND_PROTOCOL = 'localrec-federated' as const;

export interface RoundDescription {
  protocol: typeof ROUND_PROTOCOL;
  wireVersion: number;
  roundId: number;
  /** The model version every delta of this round must be computed against. */
  modelVersion: number;
  modelName: string;
  /** Manifest of that model version, relative to the server's base URL. */
  manifest: string;
  /**
   * 'paused': the round takes no updates and will not be published — the privacy budget is
   * spent or the guard stopped a version (`paused.reason`); the last model stays served.
   */
  state: 'collecting' | 'aggregating' | 'paused';
  paused?: { reason: PauseReason; message: string };
  /** Milliseconds since the epoch after which the round may close. */
  deadline: number;
  /** Number of values in a delta (the tower size). */
  length: number;
  dtypes: WireDtype[];
  /** What the client should send when it can. */
  dtype: WireDtype;
  /** L2 bound each client clips its delta to. */
  clip: number;
  /** Local Gaussian noise: standard deviation = localNoise · clip per coordinate (0 = none). */
  localNoise: number;
  maxBytes: number;
  /** Only when the request carried a valid client token: whether this round already holds that device's update. */
  sent?: boolean;
  /**
   * Present while the round collects quality reports (quality.ts) on the version it trains
   * (`version`, the round's modelVersion) against the version that one was trained from
   * (`reference`): hit@10 of each on the device's own next interactions, once per device and version.
   */
  reports?: { version: number; reference: number };
  /** Only with a valid client token and `reports`: whether this round already holds that device's report. */
  reported?: boolean;
  /** ε of the settings in force, once this round is published (see privacy.ts). */
  privacy?: PrivacyReport;
}

const u32 = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff));
const RoundSchema = v.object({
  protocol: v.literal(ROUND_PROTOCOL),
  wireVersion: v.literal(WIRE_VERSION),
  roundId: u32,
  modelVersion: u32,
  modelName: v.string(),
  manifest: v.string(),
  state: v.picklist(['collecting', 'aggregating', 'paused']),
  deadline: v.number(),
  length: v.pipe(u32, v.minValue(1)),
  dtypes: v.array(v.picklist(WIRE_DTYPES)),
  dtype: v.picklist(WIRE_DTYPES),
  clip: v.pipe(v.number(), v.gtValue(0)),
  localNoise: v.pipe(v.number(), v.minValue(0)),
  maxBytes: v.pipe(v.number(), v.integer(), v.minValue(1)),
  sent: v.optional(v.boolean()),
  reports: v.optional(v.object({ version: u32, reference: u32 })),
  reported: v.optional(v.boolean()),
});

/** Checks a round description from the network (the client trusts nothing it fetched). */
export function parseRound(json: unknown): RoundDescription {
  const r = v.safeParse(RoundSchema, json);
  if (!r.success) {
    const path = r.issues[0].path?.map((p) => String(p.key)).join('.') ?? '';
    throw new LocalrecError('federated-unavailable', `round description is invalid at "${path}"`, { path });
  }
  return r.output as RoundDescription;
}

/** Why the server stopped publishing: the privacy budget (`maxEpsilon`) is spent, or the guard refused a version. */
export const PAUSE_REASONS = ['privacy-budget', 'guard'] as const;
export type PauseReason = (typeof PAUSE_REASONS)[number];

export interface RoundPolicy {
  /** A round aggregates only with at least this many accepted updates. */
  minClients: number;
  /** Aggregate at once when this many updates are accepted; more are refused. */
  maxClients: number;
  /** How long a round collects before it may close (if it has minClients). */
  durationMs: number;
  clip: number;
  localNoise: number;
  /** Central Gaussian noise on the sum, std = centralNoise · clip (DP-FedAvg); 0 = none. */
  centralNoise: number;
  aggregator: Aggregator;
  /** Fraction cut from each end per coordinate for 'trimmed-mean'. */
  trim: number;
  /** Server step size β in θ_meta ← θ_meta + β·aggregate. */
  serverLr: number;
  dtypes: WireDtype[];
  /** δ at which ε is reported; at most 1 / population when a population is configured. */
  dpDelta: number;
  /**
   * The operator's estimate of how many devices may take part, and how many take part in a
   * round on average (0 = not configured). With both set, ε is reported with sampling
   * amplification at q = expectedClients / population, and the mean divides by
   * expectedClients (fixed denominator) so one device moves the release by at most
   * clip / expectedClients; without them q = 1 and the mean divides by the count.
   */
  population: number;
  expectedClients: number;
  /**
   * Whether published models must carry user-level DP (central noise on the mean). True by
   * default; false only by an explicit choice (`--no-dp`), which also lifts the budget.
   */
  dp: boolean;
  /** The privacy budget: no round is published whose release would take central ε above this, at dpDelta. */
  maxEpsilon: number;
  /**
   * Federated evaluation: rounds collect devices' quality reports on the version they train
   * (quality.ts) and publish the noised aggregate with the next version (guard.ts).
   */
  reports: boolean;
  /** Central noise multiplier on the report sums (std = reportNoise · REPORT_SENSITIVITY); counted in the accountant with the deltas. */
  reportNoise: number;
}

/**
 * Private by default: clip 0.25 and central noise z = 1 are the settings the simulation
 * chose for the shipped model (docs/federated.md, "Which aggregation is the default"), the
 * mean keeps the DP proof, and the budget ε ≤ 10 at δ = 1e-6 is the top of the range
 * large deployments report for user-level DP (above it the bound says little). Without
 * `population`/`expectedClients` no sampling amplification is claimed, so the budget
 * allows only a few rounds: the operator who knows the population gets many more.
 */
export const DEFAULT_POLICY: RoundPolicy = {
  minClients: 10,
  maxClients: 1000,
  durationMs: 60 * 60 * 1000,
  clip: 0.25,
  localNoise: 0,
  centralNoise: 1,
  aggregator: 'mean',
  trim: 0.1,
  serverLr: 1,
  dtypes: ['int8', 'float32'],
  dpDelta: 1e-6,
  population: 0,
  expectedClients: 0,
  dp: true,
  maxEpsilon: 10,
  reports: true,
  // The guard's default noise (z = 4): the reports then cost little privacy next to the deltas.
  reportNoise: DEFAULT_GUARD.noise,
};

/** The settings of a server run without differential privacy (`--no-dp`): no noise, no budget. */
export const NO_DP: Pick<RoundPolicy, 'dp' | 'centralNoise' | 'maxEpsilon' | 'reportNoise'> = { dp: false, centralNoise: 0, maxEpsilon: Infinity, reportNoise: 0 };

/** The sampling rate the accountant uses: expectedClients / population, or 1 when either is not configured. */
export function samplingRateOf(p: Pick<RoundPolicy, 'population' | 'expectedClients'>): number {
  return p.population > 0 && p.expectedClients > 0 ? Math.min(1, p.expectedClients / p.population) : 1;
}

export function checkPolicy(p: RoundPolicy): void {
  const bad = (field: string, why: string) => new LocalrecError('federated-config', `round policy ${field} ${why}`, { field });
  if (!Number.isInteger(p.minClients) || p.minClients < 1) throw bad('minClients', 'must be an integer ≥ 1');
  if (!Number.isInteger(p.maxClients) || p.maxClients < p.minClients) throw bad('maxClients', 'must be an integer ≥ minClients');
  if (!(p.durationMs > 0)) throw bad('durationMs', 'must be > 0');
  if (!(p.clip > 0)) throw bad('clip', 'must be > 0');
  if (!(p.localNoise >= 0) || !(p.centralNoise >= 0)) throw bad('noise', 'must be ≥ 0');
  if (!(p.trim >= 0 && p.trim < 0.5)) throw bad('trim', 'must be in [0, 0.5)');
  if (!(p.serverLr > 0)) throw bad('serverLr', 'must be > 0');
  if (!(p.dpDelta > 0 && p.dpDelta < 1)) throw bad('dpDelta', 'must be in (0, 1)');
  if (!Number.isInteger(p.population) || p.population < 0) throw bad('population', 'must be an integer ≥ 0 (0 = not configured)');
  if (!Number.isInteger(p.expectedClients) || p.expectedClients < 0) throw bad('expectedClients', 'must be an integer ≥ 0 (0 = not configured)');
  if ((p.population > 0) !== (p.expectedClients > 0)) throw bad('population', 'and expectedClients must be set together');
  if (p.expectedClients > p.population) throw bad('expectedClients', 'must be ≤ population');
  // δ ≤ 1/N: a larger δ would allow "leak one device's data in full" as a valid (ε, δ) mechanism.
  if (p.population > 0 && p.dpDelta > 1 / p.population) throw bad('dpDelta', `must be ≤ 1 / population (${(1 / p.population).toExponential(2)})`);
  if (p.dp && !(p.centralNoise > 0)) throw bad('centralNoise', 'must be > 0 for user-level DP (run without DP only by choosing it: dp false, --no-dp)');
  if (p.dp && p.aggregator !== 'mean') throw bad('aggregator', `'${p.aggregator}' has no proven DP guarantee; only 'mean' does (or choose dp false, --no-dp)`);
  if (!(p.maxEpsilon > 0)) throw bad('maxEpsilon', 'must be > 0');
  if (!(p.reportNoise >= 0)) throw bad('reportNoise', 'must be ≥ 0');
  if (p.dp && p.reports && !(p.reportNoise > 0)) throw bad('reportNoise', 'must be > 0 for user-level DP of the released reports (or turn reports off, or choose dp false, --no-dp)');
  if (p.dtypes.length === 0 || p.dtypes.some((d) => !WIRE_DTYPES.includes(d))) throw bad('dtypes', `must be a non-empty subset of ${WIRE_DTYPES.join(', ')}`);
}

/** Whether a collecting round should close now. Below minClients it keeps collecting past the deadline. */
export function shouldAggregate(accepted: number, openedAt: number, now: number, p: RoundPolicy): boolean {
  if (accepted >= p.maxClients) return true;
  return accepted >= p.minClients && now >= openedAt + p.durationMs;
}
