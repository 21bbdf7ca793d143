/**
 * The round lifecycle, independent of HTTP: open → collect (validate, store durably) →
 * aggregate → θ_meta ← θ_meta + β·aggregate → publish version N+1 → next round.
 * Several coordinators (one per server process) can share one Redis store; the store's
 * lock makes exactly one of them aggregate a round.
 */
import { LocalrecError } from '../errors';
import { decodeModel, withTower, type EncodedModel, type LoadedModel } from '../model/format';
import { flattenTower, towerSize, unflattenTower } from '../model/weights';
import { cryptoNormal, normBound, type NormalSource } from './clip';
import { l2Norm } from './delta';
import { privacyReport, roundsWithinBudget, type PrivacyReport } from './privacy';
import { checkPolicy, ROUND_PROTOCOL, samplingRateOf, shouldAggregate, type RoundDescription, type RoundPolicy } from './round';
import { serverStep } from './server-step';
import type { FederatedStore, RoundState } from './store';
import { decodeHeader, decodeUpdate, encodedSize, WIRE_VERSION } from './wire';

export interface CoordinatorOptions {
  store: FederatedStore;
  /** The model to publish first when the store is empty (its version becomes the first served one). */
  initial: EncodedModel;
  policy: RoundPolicy;
  now?: () => number;
  normal?: NormalSource;
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  /** How long one aggregation may hold the lock before another process may take over. */
  lockTtlMs?: number;
}

export interface RoundSummary {
  roundId: number;
  clients: number;
  fromVersion: number;
  toVersion: number;
  deltaNorm: number;
  ms: number;
}

export class Coordinator {
  readonly policy: RoundPolicy;
  private readonly store: FederatedStore;
  private readonly now: () => number;
  private readonly normal: NormalSource;
  private readonly log: NonNullable<CoordinatorOptions['log']>;
  private round: RoundState | null = null;
  private served: LoadedModel | null = null;
  private servedFiles: EncodedModel | null = null;
  private aggregating: Promise<RoundSummary | null> | null = null;
  /** The round id the budget pause was last logged for (log it once, not on every tick). */
  private pauseLogged = 0;
  onPublished: ((s: RoundSummary) => void) | null = null;

  constructor(private readonly opts: CoordinatorOptions) {
    checkPolicy(opts.policy);
    this.policy = opts.policy;
    this.store = opts.store;
    this.now = opts.now ?? Date.now;
    this.normal = opts.normal ?? cryptoNormal();
    this.log = opts.log ?? (() => undefined);
  }

  async start(): Promise<RoundState> {
    let state = await this.store.open(this.opts.initial, this.now());
    await this.adopt(state);
    // A server restarted with a retrained model (train --from) newer than the one it served publishes it.
    if (this.opts.initial.manifest.modelVersion > state.modelVersion) state = (await this.publishModel(this.opts.initial)) ?? state;
    this.logPrivacy();
    return state;
  }

  /**
   * Publishes a model trained elsewhere (a retraining, `train --from` the served version)
   * as the served version and opens the next round. Its version must be later than the
   * served one. The open round's updates are deltas of the tower it replaces, so they
   * are dropped (counted in the log). The round counter moves on, so the accountant counts
   * the replaced round as if it had been published (conservative: a model trained on the
   * shop's own data spends no device's budget). Publishing the model already served is a
   * no-op (several processes restarted with it). Resolves to null when another process
   * holds the aggregation lock.
   */
  async publishModel(model: EncodedModel): Promise<RoundState | null> {
    // decodeModel verifies every file: a model that does not verify is never served.
    const loaded = await decodeModel(model.manifest, model.files);
    const release = await this.store.lock(this.opts.lockTtlMs ?? 60_000);
    if (!release) return null;
    try {
      const round = await this.refresh();
      const version = loaded.manifest.modelVersion;
      const hashes = (m: EncodedModel['manifest']) => m.files.map((f) => f.sha256).join();
      if (version === round.modelVersion && hashes(loaded.manifest) === hashes(this.require().files.manifest)) return round;
      if (version <= round.modelVersion) {
        throw new LocalrecError('invalid-argument', `model version ${version} is not later than the served version ${round.modelVersion}`, { modelVersion: version, served: round.modelVersion });
      }
      const dropped = (await this.store.closeRound(round.roundId)) ?? [];
      const next = await this.store.publish(round.roundId, model, this.now());
      await this.adopt(next);
      this.log(dropped.length ? 'warn' : 'info', 'retrained model published', { fromVersion: round.modelVersion, toVersion: version, roundId: round.roundId, droppedUpdates: dropped.length });
      return next;
    } finally {
      await release();
    }
  }

  /** Says at start what the published models are protected by, and how far the budget reaches. */
  private logPrivacy(): void {
    const p = this.policy;
    if (!p.dp) {
      this.log('warn', 'differential privacy is OFF (--no-dp): published models carry no privacy guarantee and no budget applies', { centralNoise: p.centralNoise, localNoise: p.localNoise, aggregator: p.aggregator });
      return;
    }
    const settings = { centralNoise: p.centralNoise, localNoise: p.localNoise, delta: p.dpDelta, samplingRate: samplingRateOf(p), aggregator: p.aggregator, maxEpsilon: p.maxEpsilon };
    const privacy = this.privacy();
    this.log('info', 'user-level differential privacy of the published models', {
      clip: p.clip,
      centralNoise: p.centralNoise,
      samplingRate: settings.samplingRate,
      delta: p.dpDelta,
      maxEpsilon: p.maxEpsilon,
      epsilonSpent: privacy.budget.spent,
      roundsWithinBudget: roundsWithinBudget(settings),
      ...(settings.samplingRate === 1 ? { note: 'no sampling amplification claimed: set --population and --expected-clients for more rounds within the budget' } : {}),
    });
  }

  /** Takes on a store state, loading the model version it names when that changed. */
  private async adopt(state: RoundState): Promise<void> {
    if (!this.served || this.served.manifest.modelVersion !== state.modelVersion) {
      const files = await this.store.model(state.modelVersion);
      if (!files) throw new LocalrecError('invalid-state', `model version ${state.modelVersion} is missing from the store`);
      // decodeModel verifies every hash: a version that does not verify is never served.
      this.served = await decodeModel(files.manifest, files.files);
      this.servedFiles = files;
    }
    this.round = state;
  }

  /** Re-reads the shared state (other processes may have accepted updates or published). */
  async refresh(): Promise<RoundState> {
    const s = await this.store.state();
    await this.adopt(s);
    return s;
  }

  private require(): { round: RoundState; model: LoadedModel; files: EncodedModel } {
    if (!this.round || !this.served || !this.servedFiles) throw new LocalrecError('invalid-state', 'coordinator not started');
    return { round: this.round, model: this.served, files: this.servedFiles };
  }

  get length(): number {
    const { d, hidden } = this.require().model.manifest.dims;
    return towerSize(d, hidden);
  }

  get maxBytes(): number {
    return encodedSize(this.length, 'float32');
  }

  currentModel(): EncodedModel {
    return this.require().files;
  }

  async modelVersion(version: number): Promise<EncodedModel | null> {
    return this.store.model(version);
  }

  /** ε of the settings in force, composed over the rounds up to and including the open one. */
  privacy(): PrivacyReport {
    const p = this.policy;
    const { round } = this.require();
    return privacyReport({
      rounds: round.roundId,
      centralNoise: p.centralNoise,
      localNoise: p.localNoise,
      delta: p.dpDelta,
      samplingRate: samplingRateOf(p),
      aggregator: p.aggregator,
      maxEpsilon: p.maxEpsilon,
    });
  }

  /** Why the open round takes no updates and will not be published, or null while it may. */
  paused(privacy: PrivacyReport = this.privacy()): RoundDescription['paused'] | null {
    const b = privacy.budget;
    if (!b.exhausted) return null;
    return {
      reason: 'privacy-budget',
      message: `publishing round ${privacy.central.rounds} would take ε to ${privacy.central.epsilon} at δ = ${privacy.delta}, above the budget ${b.maxEpsilon}; the last published model stays served`,
    };
  }

  describe(): RoundDescription {
    const { round, model } = this.require();
    const p = this.policy;
    const privacy = this.privacy();
    const paused = this.paused(privacy);
    return {
      protocol: ROUND_PROTOCOL,
      wireVersion: WIRE_VERSION,
      roundId: round.roundId,
      modelVersion: round.modelVersion,
      modelName: model.manifest.name,
      manifest: `v1/models/${round.modelVersion}/manifest.json`,
      state: paused ? 'paused' : round.phase,
      ...(paused ? { paused } : {}),
      deadline: round.openedAt + p.durationMs,
      length: this.length,
      dtypes: p.dtypes,
      dtype: p.dtypes.includes('int8') ? 'int8' : p.dtypes[0],
      clip: p.clip,
      localNoise: p.localNoise,
      maxBytes: this.maxBytes,
      privacy,
    };
  }

  /** Whether this client's update is already in the open round (so a reloaded device need not send again). */
  async hasUpdate(clientId: string): Promise<boolean> {
    const { round } = this.require();
    return this.store.has(round.roundId, clientId);
  }

  /**
   * Validates one upload and stores it durably; resolves only after the store has it.
   * Every refusal is a LocalrecError whose code names the reason.
   */
  async submit(clientId: string, body: Uint8Array): Promise<{ roundId: number; accepted: number }> {
    let { round } = this.require();
    const stop = this.paused();
    // Refused before anything is read or stored: a paused round is never published, so an update would only be lost.
    if (stop) throw new LocalrecError('update-round-closed', stop.message, { roundId: round.roundId, reason: stop.reason });
    const h = decodeHeader(body);
    if (h.roundId > round.roundId) round = await this.refresh(); // another process may have moved on
    if (h.roundId < round.roundId) throw new LocalrecError('update-stale-round', `round ${h.roundId} is over; round ${round.roundId} is open`, { roundId: h.roundId, open: round.roundId });
    if (h.roundId > round.roundId) throw new LocalrecError('update-unknown-round', `round ${h.roundId} has not opened; round ${round.roundId} is open`, { roundId: h.roundId, open: round.roundId });
    if (h.modelVersion !== round.modelVersion) {
      throw new LocalrecError('update-stale-model', `round ${round.roundId} trains model version ${round.modelVersion}, the delta is against ${h.modelVersion}`, {
        modelVersion: h.modelVersion,
        expected: round.modelVersion,
      });
    }
    const u = decodeUpdate(body, { length: this.length, dtypes: this.policy.dtypes });
    const norm = l2Norm(u.values);
    const bound = normBound(this.policy.clip, this.policy.localNoise, u.values.length);
    if (norm > bound) throw new LocalrecError('update-norm-too-large', `delta norm ${norm.toFixed(4)} is above the bound ${bound.toFixed(4)}`, { norm, bound });
    const r = await this.store.accept(h.roundId, clientId, body, this.policy.maxClients);
    switch (r.status) {
      case 'duplicate':
        throw new LocalrecError('update-duplicate', `this client already sent an update in round ${h.roundId}`, { roundId: h.roundId });
      case 'closed':
        throw new LocalrecError('update-round-closed', `round ${h.roundId} takes no more updates`, { roundId: h.roundId });
      case 'stale':
        await this.refresh();
        throw new LocalrecError('update-stale-round', `round ${h.roundId} is over; round ${r.roundId} is open`, { roundId: h.roundId, open: r.roundId });
      case 'accepted':
        this.round = { ...round, accepted: r.accepted };
        if (r.accepted >= this.policy.maxClients) {
          // Close the full round now rather than at the next tick; a failure leaves it for the tick to retry.
          this.tick().catch((e: unknown) => this.log('error', 'aggregation failed; the round stays closed and is retried', { err: String(e) }));
        }
        return { roundId: h.roundId, accepted: r.accepted };
    }
  }

  /** Closes and aggregates the open round when the policy says so (or a crashed aggregation left it half done). */
  async tick(): Promise<RoundSummary | null> {
    if (this.aggregating) return this.aggregating;
    const round = await this.refresh();
    const stop = this.paused();
    if (stop) {
      if (this.pauseLogged !== round.roundId) this.log('warn', 'no more rounds are published', { reason: stop.reason, roundId: round.roundId, modelVersion: round.modelVersion, why: stop.message });
      this.pauseLogged = round.roundId;
      return null;
    }
    const due = round.phase === 'aggregating' || shouldAggregate(round.accepted, round.openedAt, this.now(), this.policy);
    if (!due) return null;
    return this.aggregateNow();
  }

  /** Aggregates the open round now if it has at least one update (tests and operators). */
  aggregateNow(): Promise<RoundSummary | null> {
    this.aggregating ??= this.runAggregation().finally(() => {
      this.aggregating = null;
    });
    return this.aggregating;
  }

  private async runAggregation(): Promise<RoundSummary | null> {
    const release = await this.store.lock(this.opts.lockTtlMs ?? 60_000);
    if (!release) return null;
    try {
      const round = await this.refresh();
      // The budget is checked again under the lock: no path publishes a round it does not allow.
      if (this.paused()) return null;
      if (round.accepted === 0 && round.phase === 'collecting') return null;
      const t0 = this.now();
      const updates = await this.store.closeRound(round.roundId);
      if (!updates || updates.length === 0) return null;
      const { model } = this.require();
      const n = this.length;
      // Each body was validated before it was stored; decoding again cannot fail unless the store was damaged.
      const deltas = updates.map((u) => decodeUpdate(u.body, { length: n, dtypes: ['float32', 'int8'] }).values);
      // With a configured sampling rate the mean divides by the expected count (what the accountant assumes).
      const denominator = this.policy.aggregator === 'mean' && this.policy.expectedClients > 0 ? this.policy.expectedClients : undefined;
      const { theta, aggregate: agg } = serverStep(flattenTower(model.weights.tower), deltas, { ...this.policy, denominator }, this.normal);
      const { d, hidden } = model.manifest.dims;
      const toVersion = round.modelVersion + 1;
      // Only θ_meta changes: the item tables keep their stored bytes (no re-quantisation).
      const encoded = await withTower(this.require().files, unflattenTower(theta, d, hidden), {
        modelVersion: toVersion,
        training: {
          ...(model.manifest.training ?? {}),
          federated: {
            fromVersion: round.modelVersion,
            roundId: round.roundId,
            // Under the sampled accounting the count is not published: it would tell whether one more device took part.
            ...(denominator === undefined ? { clients: deltas.length } : {}),
            aggregator: this.policy.aggregator,
          },
        },
      });
      const next = await this.store.publish(round.roundId, encoded, this.now());
      await this.adopt(next);
      const summary: RoundSummary = { roundId: round.roundId, clients: deltas.length, fromVersion: round.modelVersion, toVersion, deltaNorm: l2Norm(agg), ms: this.now() - t0 };
      this.log('info', 'round published', { ...summary });
      this.onPublished?.(summary);
      return summary;
    } finally {
      await release();
    }
  }

  async close(): Promise<void> {
    await this.aggregating?.catch(() => undefined);
    await this.store.close();
  }
}
