/**
 * Federated uploads from the Worker: after a personalisation, with consent 'granted' and a
 * configured server, one FOMAML step on the device's own older (support) and newer (query)
 * interactions (device-task.ts; the update the simulation measures), not the
 * personalisation's own delta, which made the shared model drift in simulation. When the
 * round asks for it, a quality report on the held version follows (quality.ts), measured in
 * turn with the Worker's requests so the model cannot change under it. Nothing
 * starts while a withdrawal of consent is on its way through the queue. The client itself
 * is a lazy chunk (worker-federated.ts), loaded only when a server is configured.
 */
import type { LoadedModel } from '../model/format';
import type { IndexedEvent } from '../model/pooling';
import type { ModelSession } from '../model/session';
import type { TowerParams } from '../model/weights';
import type { FederatedClient, FederatedClientDeps, FederatedOutcome, FederatedStatus } from '../federated/client';
import type { WorkerInitParams } from './protocol';
import type { LocalrecEvent } from './types';

/**
 * Runs `work` in turn with the Worker's requests, on the session of the model that is loaded
 * then — or resolves null when that is no longer `version` or consent is no longer granted.
 */
export type InTurn = <T>(version: number, work: (session: ModelSession) => Promise<T>) => Promise<T | null>;

export interface UploadDeps {
  fetch: typeof fetch;
  /** Overrides for the federated client (tests: fake sleep and jitter). */
  federated?: Partial<FederatedClientDeps>;
  emit(event: LocalrecEvent): void;
}

export class Uploads {
  /** The federated part of the Worker, loaded on first use. */
  #lib: Promise<typeof import('./worker-federated')> | null = null;
  #client: FederatedClient | null = null;
  #token: string | null = null;
  /** Consent requests away from 'granted' not yet applied: no upload starts meanwhile. */
  #withdrawals = 0;
  /** Bumped by every cancel and withdrawal: a report that follows an upload started before one is not sent. */
  #epoch = 0;
  readonly #deps: UploadDeps;
  readonly #inTurn: InTurn;

  constructor(deps: UploadDeps, inTurn: InTurn) {
    this.#deps = deps;
    this.#inTurn = inTurn;
  }

  /** From init's params; re-init with the same endpoint and token keeps the client, so it still knows which round it sent. */
  async configure(params: WorkerInitParams, granted: boolean): Promise<void> {
    if (!params.federated && !this.#client) return;
    const lib = params.federated ? await (this.#lib ??= import('./worker-federated')) : null;
    const cfg = lib ? lib.checkFederatedConfig(params.federated) : null;
    const prev = this.#client?.status().endpoint;
    if (!granted) this.#client?.cancel();
    if (cfg && prev === cfg.endpoint && this.#token === cfg.token) return;
    this.#client?.cancel();
    this.#client = lib && cfg ? new lib.FederatedClient(cfg, { fetch: this.#deps.fetch, ...this.#deps.federated }) : null;
    this.#token = cfg?.token ?? null;
  }

  /** A withdrawal of consent arrived: a running upload stops now, none starts until `applied` settles. */
  withdraw(applied: Promise<unknown>): void {
    this.#withdrawals++;
    this.#epoch++;
    this.#client?.cancel();
    const done = () => void this.#withdrawals--;
    applied.then(done, done);
  }

  cancel(): void {
    this.#epoch++;
    this.#client?.cancel();
  }

  status(): FederatedStatus | null {
    return this.#client?.status() ?? null;
  }

  /** Sends this device's update for `model` to the open round (when configured and consented). */
  async contribute(granted: boolean, session: ModelSession, history: readonly IndexedEvent[], model: LoadedModel): Promise<void> {
    const fed = this.#client;
    if (!fed || !granted || this.#withdrawals > 0 || !this.#lib) return;
    const lib = await this.#lib;
    const { DEVICE_UPDATE, drawSupportSize, splitForUpdate } = lib;
    const emit = (outcome: FederatedOutcome) => {
      const s = fed.status();
      this.#deps.emit({ type: 'federated', outcome, roundId: s.lastRound, serverModelVersion: s.serverModelVersion });
    };
    const task = splitForUpdate(history, drawSupportSize(Math.random));
    if (!task) return emit(fed.skip('too-few-events'));
    const [user] = await session.metaStepTowers(model.weights.tower, [task], DEVICE_UPDATE.lr);
    const epoch = this.#epoch;
    const version = model.manifest.modelVersion;
    void fed
      .contribute(version, user, model.weights.tower)
      .then(emit)
      .then(() => {
        // The round answer may ask for a report on this version; none after a cancel or withdrawal since.
        if (epoch !== this.#epoch || this.#withdrawals > 0) return;
        const measure = (reference: TowerParams) => this.#inTurn(version, (current) => measureReport(lib, current, history, model.weights.tower, reference));
        return fed.report(version, model.manifest.dims, measure);
      });
  }
}

/**
 * hit@10 of the held version and of the reference on the device's own next interactions,
 * replayed as for its update (support = its oldest k, k drawn as for the update).
 */
async function measureReport(
  lib: typeof import('./worker-federated'),
  session: ModelSession,
  history: readonly IndexedEvent[],
  candidate: TowerParams,
  reference: TowerParams,
): Promise<{ candidate: number; reference: number } | null> {
  const task = lib.reportTask(history, lib.drawSupportSize(Math.random));
  if (!task) return null;
  const [c] = await lib.hitsUnder(session, candidate, [task]);
  const [r] = await lib.hitsUnder(session, reference, [task]);
  return { candidate: c, reference: r };
}
