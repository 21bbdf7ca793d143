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
import { addReport, DEFAULT_GUARD, emptySums, releaseAndDecide, type GuardRelease } from './guard';
import { decodeQualityReport } from './quality';
import { privacyReport, roundsWithinBudget, type PrivacyReport } from './privacy';
import { checkPolicy, ROUND_PROTOCOL, samplingRateOf, shouldAggregate, type RoundDescription, type RoundPolicy } from './round';
import { serverStep } from './server-step';
import type { FederatedStore, RecordKind, RoundState, StoredUpdate } from './store';
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
  /** The noised release of the round's quality reports on `fromVersion` (null: reports off, or none to release). */
  quality: QualityRelease | null;
}

/**
 * What the server publishes about a version's quality, from the devices' reports collected
 * while a round trained it: the noised mean hit@10 of that version and of the version it
 * was trained from, their mean difference and standard error, and the guard's decision
 * (guard.ts). It is written into the next version's manifest (`training.federated.quality`).
 */
export interface QualityRelease {
  version: number;
  referenceVersion: number;
  /** Reports received; absent under the sampled accounting (it would tell whether one more device took part). */
  reports?: number;
  hit10: number;
  referenceHit10: number;
  difference: number;
  standardError: number;
  decision: GuardRelease['decision'];
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
    const settings = { centralNoise: p.centralNoise, localNoise: p.localNoise, delta: p.dpDelta, samplingRate: samplingRateOf(p), aggregator: p.aggregator, maxEpsilon: p.maxEpsilon, reportNoise: p.reports ? p.reportNoise : 0 };
    const privacy = this.privacy();
    this.log('info', 'user-level differential privacy of the published models', {
      clip: p.clip,
      centralNoise: p.centralNoise,
      reportNoise: settings.reportNoise,
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

  /** ε of the settings in force, composed over the rounds up to and including the open one (their deltas and reports). */
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
      reportNoise: p.reports ? p.reportNoise : 0,
    });
  }

  /**
   * The versions the open round collects quality reports on: the one it trains against the one
   * that was trained from (null: reports off, or the served version was not trained here).
   */
  reportsOn(): RoundDescription['reports'] | null {
    const { model } = this.require();
    const from = (model.manifest.training?.federated as { fromVersion?: unknown } | undefined)?.fromVersion;
    if (!this.policy.reports || typeof from !== 'number') return null;
    return { version: model.manifest.modelVersion, reference: from };
  }

  /** The quality release published with the served version (about the version before it), if any. */
  servedQuality(): QualityRelease | null {
    const q = (this.require().model.manifest.training?.federated as { quality?: QualityRelease } | undefined)?.quality;
    return q ?? null;
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
    const reports = this.reportsOn();
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
      ...(reports ? { reports } : {}),
      privacy,
    };
  }

  /** Whether this client's update is already in the open round (so a reloaded device need not send again). */
  async hasUpdate(clientId: string): Promise<boolean> {
    const { round } = this.require();
    return this.store.has(round.roundId, clientId);
  }

  /** Whether this client's quality report is already in the open round. */
  async hasReport(clientId: string): Promise<boolean> {
    const { round } = this.require();
    return this.store.has(round.roundId, clientId, 'report');
  }

  /**
   * Validates one quality report (quality.ts: 28 bytes, values in [0, 1], for the open round,
   * on the version it trains against the one that was trained from) and stores it durably,
   * at most one per client and round. Refusals use the update codes.
   */
  async submitReport(clientId: string, body: Uint8Array): Promise<{ roundId: number }> {
    let { round } = this.require();
    const stop = this.paused();
    if (stop) throw new LocalrecError('update-round-closed', stop.message, { roundId: round.roundId, reason: stop.reason });
    const q = decodeQualityReport(body);
    if (q.roundId > round.roundId) round = await this.refresh();
    if (q.roundId < round.roundId) throw new LocalrecError('update-stale-round', `round ${q.roundId} is over; round ${round.roundId} is open`, { roundId: q.roundId, open: round.roundId });
    if (q.roundId > round.roundId) throw new LocalrecError('update-unknown-round', `round ${q.roundId} has not opened; round ${round.roundId} is open`, { roundId: q.roundId, open: round.roundId });
    const on = this.reportsOn();
    if (!on) throw new LocalrecError('update-round-closed', `round ${round.roundId} collects no quality reports`, { roundId: round.roundId });
    if (q.candidateVersion !== on.version || q.referenceVersion !== on.reference) {
      throw new LocalrecError('update-stale-model', `round ${round.roundId} collects reports on version ${on.version} against ${on.reference}, this one is on ${q.candidateVersion} against ${q.referenceVersion}`, {
        modelVersion: q.candidateVersion,
        expected: on.version,
      });
    }
    await this.acceptRecord(q.roundId, clientId, body, 'report');
    return { roundId: q.roundId };
  }

  /**
   * Stores a device's update or report in the open round (the round checks are the
   * caller's), or throws the typed refusal the store's answer calls for; the round's
   * accepted count when stored.
   */
  private async acceptRecord(roundId: number, clientId: string, body: Uint8Array, kind: RecordKind): Promise<number> {
    const r = await this.store.accept(roundId, clientId, body, this.policy.maxClients, kind);
    switch (r.status) {
      case 'duplicate':
        throw new LocalrecError('update-duplicate', `this client already sent ${kind === 'update' ? 'an update' : 'a report'} in round ${roundId}`, { roundId });
      case 'closed':
        throw new LocalrecError('update-round-closed', `round ${roundId} takes no more ${kind}s`, { roundId });
      case 'stale':
        await this.refresh();
        throw new LocalrecError('update-stale-round', `round ${roundId} is over; round ${r.roundId} is open`, { roundId, open: r.roundId });
      case 'accepted':
        return r.accepted;
    }
  }

  /**
   * Releases a closed round's reports: sums of (clipped difference, its square, both levels)
   * plus central noise, divided by the expected count under the sampled accounting (else by the
   * count, which is then published), and the guard's decision from the release alone.
   */
  private releaseReports(reports: readonly StoredUpdate[]): QualityRelease | null {
    const on = this.reportsOn();
    if (!on) return null;
    const sums = emptySums();
    // Each body was validated before it was stored.
    for (const r of reports) {
      const q = decodeQualityReport(r.body);
      addReport(sums, q.candidate, q.reference);
    }
    const fixed = this.policy.expectedClients > 0;
    const denominator = fixed ? this.policy.expectedClients : sums.count;
    if (denominator === 0) return null;
    const rel = releaseAndDecide(sums, denominator, { ...DEFAULT_GUARD, every: 1, noise: this.policy.reportNoise }, this.normal);
    return {
      version: on.version,
      referenceVersion: on.reference,
      ...(fixed ? {} : { reports: sums.count }),
      hit10: rel.candidate,
      referenceHit10: rel.reference,
      difference: rel.difference,
      standardError: rel.standardError,
      decision: rel.decision,
    };
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
    const accepted = await this.acceptRecord(h.roundId, clientId, body, 'update');
    this.round = { ...round, accepted };
    if (accepted >= this.policy.maxClients) {
      // Close the full round now rather than at the next tick; a failure leaves it for the tick to retry.
      this.tick().catch((e: unknown) => this.log('error', 'aggregation failed; the round stays closed and is retried', { err: String(e) }));
    }
    return { roundId: h.roundId, accepted };
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
      const quality = this.releaseReports(await this.store.reports(round.roundId));
      // Each body was validated before it was stored; decoding again cannot fail unless the store was damaged.
      const deltas = updates.map((u) => decodeUpdate(u.body, { length: n, dtypes: ['float32', 'int8'] }).values);
      // With a configured sampling rate the mean divides by the expected count (what the accountant assumes).
      const denominator = this.policy.aggregator === 'mean' && this.policy.expectedClients > 0 ? this.policy.expectedClients : undefined;
      const stepped = serverStep(flattenTower(model.weights.tower), deltas, { ...this.policy, denominator }, this.normal);
      let { theta } = stepped;
      const agg = stepped.aggregate;
      // The guard: devices found this version worse than the one it came from beyond the noise.
      // Its successor is the older tower again (this round's step was taken from the refused one).
      const back = quality?.decision === 'roll-back' ? await this.store.model(quality.referenceVersion) : null;
      if (back) theta = flattenTower((await decodeModel(back.manifest, back.files)).weights.tower);
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
            ...(quality ? { quality } : {}),
            ...(back ? { rolledBackTo: back.manifest.modelVersion } : {}),
          },
        },
      });
      const next = await this.store.publish(round.roundId, encoded, this.now());
      await this.adopt(next);
      const summary: RoundSummary = { roundId: round.roundId, clients: deltas.length, fromVersion: round.modelVersion, toVersion, deltaNorm: l2Norm(agg), ms: this.now() - t0, quality };
      if (quality) this.log(back ? 'warn' : 'info', back ? 'guard: version rolled back' : 'quality of version released', { ...quality, ...(back ? { servedAs: toVersion, tower: `version ${quality.referenceVersion}'s` } : {}) });
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
