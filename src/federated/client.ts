/**
 * The device's side of a federated round (runs in the Worker, beside personalisation):
 * fetch the round description, compute Δ = θ_user − θ_meta over the shared tower (θ_user:
 * the device's FOMAML step, src/federated/device-task.ts), clip
 * it, add the round's local noise, upload it once per round with the client token, retry
 * network failures and 5xx with capped exponential backoff and full jitter, and stop on
 * any 4xx (the server said no; asking again would not change its mind).
 *
 * What leaves the device: the binary delta (tower values only), the round id, the model
 * version and the shop-issued token. No item id, event, timestamp or history size.
 * Runs only when the runtime says consent is granted and an endpoint is configured.
 */
import { LocalrecError, type SerialisedError } from '../errors';
import { decodeTower } from '../model/format';
import type { TowerParams } from '../model/weights';
import { cryptoNormal, type NormalSource } from './clip';
import { towerDelta } from './delta';
import { encodeQualityReport } from './quality';
import { parseRound, type RoundDescription } from './round';
import { privatiseDelta } from './update';
import { encodeUpdate } from './wire';

export interface FederatedConfig {
  /** Base URL of the aggregation server, e.g. "https://fed.shop.example/". */
  endpoint: string;
  /** Client token the shop issued to this device (see docs/federated.md). */
  token: string;
}

export type FederatedOutcome =
  | 'uploaded'
  /** The server already holds this device's update for the round. */
  | 'already-sent'
  | 'round-closed'
  /** The round trains another model version than the device has; reload the model first. */
  | 'model-version'
  | 'rejected'
  | 'failed'
  | 'aborted'
  /** The device has fewer than two usable interactions: no later one to learn from, nothing sent. */
  | 'too-few-events';

/** What became of a quality report (quality.ts): sent, or why not. */
export type ReportOutcome =
  | 'reported'
  /** The server already holds this device's report on the version. */
  | 'already-reported'
  /** The last round answer asked for no report on the version this device holds. */
  | 'not-asked'
  /** Too few interactions to have a "next" one to measure on, or the model changed meanwhile. */
  | 'nothing-to-measure'
  | 'rejected'
  | 'failed'
  | 'aborted';

export interface FederatedStatus {
  endpoint: string;
  state: 'idle' | 'uploading' | 'retrying';
  lastOutcome: FederatedOutcome | null;
  /** Last round this device uploaded to (or found its update already in). */
  lastRound: number | null;
  /** The model version the server's round trains, as last seen. */
  serverModelVersion: number | null;
  lastUploadAt: number | null;
  lastUploadBytes: number | null;
  uploads: number;
  /** Quality reports sent (one per model version at most), and the version of the last one. */
  reports: number;
  lastReportVersion: number | null;
  bytesSent: number;
  lastError: SerialisedError | null;
}

/** hit@10 of the held version and of the reference on the device's own next interactions, or null when there is nothing to measure. */
export type MeasureReport = (reference: TowerParams) => Promise<{ candidate: number; reference: number } | null>;

export interface FederatedClientDeps {
  fetch: typeof fetch;
  normal?: NormalSource;
  /** Uniform [0, 1) for the backoff jitter. */
  random?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function checkFederatedConfig(c: unknown): FederatedConfig {
  const o = c as Partial<FederatedConfig> | null;
  let url: URL | null = null;
  try {
    url = new URL(String(o?.endpoint));
  } catch {
    url = null;
  }
  if (!url || !/^https?:$/.test(url.protocol)) throw new LocalrecError('federated-config', 'federated.endpoint must be an https URL');
  // Plain http would show the token and the delta to anyone on the path; allowed only for this machine (development, tests).
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol === 'http:' && !loopback) throw new LocalrecError('federated-config', 'federated.endpoint must use https (plain http only on localhost)');
  if (typeof o?.token !== 'string' || o.token.length === 0 || o.token.length > 512) throw new LocalrecError('federated-config', 'federated.token must be a non-empty string');
  return { endpoint: url.href.endsWith('/') ? url.href : `${url.href}/`, token: o.token };
}

export class FederatedClient {
  private readonly cfg: FederatedConfig;
  private readonly normal: NormalSource;
  private readonly random: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly now: () => number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private running: Promise<FederatedOutcome> | null = null;
  private abort: AbortController | null = null;
  /** The last round description fetched: says whether, and on which versions, reports are wanted. */
  private round: RoundDescription | null = null;
  private reporting: Promise<ReportOutcome> | null = null;
  private reportAbort: AbortController | null = null;
  /** Versions this device reported on (or found its report already in): at most one report per version. */
  private readonly reported = new Set<number>();
  private readonly s: FederatedStatus;

  constructor(
    config: FederatedConfig,
    private readonly deps: FederatedClientDeps,
  ) {
    this.cfg = checkFederatedConfig(config);
    this.normal = deps.normal ?? cryptoNormal();
    this.random = deps.random ?? Math.random;
    this.sleep = deps.sleep ?? abortableSleep;
    this.now = deps.now ?? Date.now;
    this.maxAttempts = deps.maxAttempts ?? 6;
    this.baseDelayMs = deps.baseDelayMs ?? 1000;
    this.maxDelayMs = deps.maxDelayMs ?? 60_000;
    this.s = {
      endpoint: this.cfg.endpoint,
      state: 'idle',
      lastOutcome: null,
      lastRound: null,
      serverModelVersion: null,
      lastUploadAt: null,
      lastUploadBytes: null,
      uploads: 0,
      reports: 0,
      lastReportVersion: null,
      bytesSent: 0,
      lastError: null,
    };
  }

  status(): FederatedStatus {
    return { ...this.s };
  }

  /** Stops a running contribution (consent withdrawn, forget()): nothing more is sent. */
  cancel(): void {
    this.abort?.abort(new LocalrecError('federated-unavailable', 'cancelled'));
    this.reportAbort?.abort(new LocalrecError('federated-unavailable', 'cancelled'));
  }

  /** Records that this device had nothing to contribute (no request is made); a running upload is left alone. */
  skip(outcome: 'too-few-events'): FederatedOutcome {
    if (this.running) return outcome;
    this.s.lastOutcome = outcome;
    return outcome;
  }

  /**
   * Contributes the delta of one device update to the open round, at most once per
   * round. The towers are read now, so a later personalisation cannot change what is sent.
   * Never throws: the outcome and any error land in status().
   */
  contribute(modelVersion: number, user: TowerParams, meta: TowerParams): Promise<FederatedOutcome> {
    if (this.running) return this.running;
    const delta = towerDelta(user, meta);
    this.abort = new AbortController();
    const signal = this.abort.signal;
    this.running = this.run(modelVersion, delta, signal)
      .catch((e: unknown): FederatedOutcome => {
        if (signal.aborted) return 'aborted';
        this.s.lastError = toSerialised(e);
        return 'failed';
      })
      .then((outcome) => {
        this.s.lastOutcome = outcome;
        this.s.state = 'idle';
        this.running = null;
        return outcome;
      });
    return this.running;
  }

  /**
   * Sends this device's quality report when the last round answer asked for one on the
   * version it holds and none was sent for that version: fetches the reference version's
   * tower (hash-verified against its manifest), lets `measure` score both versions on the
   * device's own interactions, and posts the 28-byte report (two numbers in [0, 1], the
   * versions and the round id: no item id, count or timestamp). Never throws.
   */
  report(modelVersion: number, dims: { d: number; hidden: number }, measure: MeasureReport): Promise<ReportOutcome> {
    const round = this.round;
    const ask = round?.reports;
    if (!round || !ask || ask.version !== modelVersion || round.state !== 'collecting') return Promise.resolve('not-asked');
    if (round.reported || this.reported.has(modelVersion)) return Promise.resolve('already-reported');
    if (this.reporting) return this.reporting;
    this.reportAbort = new AbortController();
    const signal = this.reportAbort.signal;
    this.reporting = this.sendReport(round.roundId, ask, dims, measure, signal)
      .catch((e: unknown): ReportOutcome => {
        if (signal.aborted) return 'aborted';
        this.s.lastError = toSerialised(e);
        return 'failed';
      })
      .finally(() => {
        this.reporting = null;
      });
    return this.reporting;
  }

  /** POSTs a binary body with the device token (retried like every call) and counts its bytes. */
  private async postBytes(path: string, body: Uint8Array, signal: AbortSignal): Promise<Response> {
    const res = await this.withRetry(signal, () =>
      this.deps.fetch(this.url(path), {
        method: 'POST',
        credentials: 'omit',
        cache: 'no-store',
        headers: { authorization: `Bearer ${this.cfg.token}`, 'content-type': 'application/octet-stream' },
        body: body as Uint8Array<ArrayBuffer>,
        signal,
      }),
    );
    this.s.bytesSent += body.byteLength;
    return res;
  }

  private async sendReport(roundId: number, ask: { version: number; reference: number }, dims: { d: number; hidden: number }, measure: MeasureReport, signal: AbortSignal): Promise<ReportOutcome> {
    const reference = await this.fetchTower(ask.reference, dims, signal);
    const hits = await measure(reference);
    if (signal.aborted) throw signal.reason;
    if (!hits) return 'nothing-to-measure';
    const body = encodeQualityReport({ candidateVersion: ask.version, referenceVersion: ask.reference, roundId, candidate: hits.candidate, reference: hits.reference });
    const res = await this.postBytes('v1/reports', body, signal);
    if (res.ok) {
      await res.body?.cancel();
      this.reported.add(ask.version);
      this.s.reports++;
      this.s.lastReportVersion = ask.version;
      return 'reported';
    }
    const err = await errorFrom(res);
    if (err.code === 'update-duplicate') {
      this.reported.add(ask.version);
      return 'already-reported';
    }
    this.s.lastError = err;
    return 'rejected';
  }

  /** A published version's tower: its manifest and weights.bin from the server, verified as any model file. */
  private async fetchTower(version: number, dims: { d: number; hidden: number }, signal: AbortSignal): Promise<TowerParams> {
    const get = async (file: string): Promise<Uint8Array> => {
      const res = await this.withRetry(signal, () => this.deps.fetch(this.url(`v1/models/${version}/${file}`), { credentials: 'omit', signal }));
      if (!res.ok) throw new LocalrecError('federated-unavailable', `${file} of model version ${version} answered ${res.status}`, { status: res.status });
      return new Uint8Array(await res.arrayBuffer());
    };
    let manifestJson: unknown;
    try {
      manifestJson = JSON.parse(new TextDecoder().decode(await get('manifest.json')));
    } catch (e) {
      if (e instanceof LocalrecError || signal.aborted) throw e;
      throw new LocalrecError('model-format', `manifest of model version ${version} is not JSON`);
    }
    const { manifest, tower } = await decodeTower(manifestJson, await get('weights.bin'));
    if (manifest.modelVersion !== version || manifest.dims.d !== dims.d || manifest.dims.hidden !== dims.hidden) {
      throw new LocalrecError('federated-unavailable', `model version ${version} does not fit the held model (version ${manifest.modelVersion}, dims ${manifest.dims.d}×${manifest.dims.hidden})`);
    }
    return tower;
  }

  private url(path: string): string {
    return new URL(path, this.cfg.endpoint).href;
  }

  /** One request with retries on network errors and 5xx; a 4xx ends it at once. */
  private async withRetry(signal: AbortSignal, send: () => Promise<Response>): Promise<Response> {
    let last: unknown = null;
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      if (attempt > 0) {
        this.s.state = 'retrying';
        // Full jitter: devices that failed together do not retry together.
        await this.sleep(this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1)), signal);
      }
      if (signal.aborted) throw signal.reason;
      try {
        const res = await send();
        if (res.status < 500) return res;
        last = new LocalrecError('federated-unavailable', `server answered ${res.status}`, { status: res.status });
        await res.body?.cancel();
      } catch (e) {
        if (signal.aborted) throw e;
        last = e;
      }
    }
    throw last instanceof LocalrecError ? last : new LocalrecError('federated-unavailable', `server unreachable: ${last instanceof Error ? last.message : String(last)}`);
  }

  private async run(modelVersion: number, delta: Float32Array, signal: AbortSignal): Promise<FederatedOutcome> {
    const roundRes = await this.withRetry(signal, () =>
      this.deps.fetch(this.url('v1/round'), { credentials: 'omit', cache: 'no-store', headers: { authorization: `Bearer ${this.cfg.token}` }, signal }),
    );
    if (!roundRes.ok) {
      this.s.lastError = { code: 'federated-unavailable', message: `round description answered ${roundRes.status}`, details: { status: roundRes.status } };
      return 'failed';
    }
    const round: RoundDescription = parseRound(await roundRes.json());
    this.round = round;
    this.s.serverModelVersion = round.modelVersion;
    if (this.s.lastRound === round.roundId) return 'already-sent';
    if (round.sent) {
      this.s.lastRound = round.roundId;
      return 'already-sent';
    }
    if (round.state !== 'collecting') return 'round-closed';
    if (round.modelVersion !== modelVersion) return 'model-version';

    privatiseDelta(delta, { clip: round.clip, localNoise: round.localNoise }, this.normal);
    const body = encodeUpdate({ modelVersion, roundId: round.roundId, values: delta, dtype: round.dtype, maxNorm: round.localNoise > 0 ? undefined : round.clip });
    if (body.byteLength > round.maxBytes) throw new LocalrecError('federated-unavailable', `update of ${body.byteLength} bytes exceeds the round's limit of ${round.maxBytes}`);
    this.s.state = 'uploading';
    const res = await this.postBytes('v1/updates', body, signal);
    if (res.ok) {
      await res.body?.cancel();
      this.s.lastRound = round.roundId;
      this.s.lastUploadAt = this.now();
      this.s.lastUploadBytes = body.byteLength;
      this.s.uploads++;
      this.s.lastError = null;
      return 'uploaded';
    }
    const err = await errorFrom(res);
    this.s.lastError = err;
    if (err.code === 'update-duplicate') {
      this.s.lastRound = round.roundId;
      return 'already-sent';
    }
    return 'rejected';
  }
}

async function errorFrom(res: Response): Promise<SerialisedError> {
  try {
    const j = (await res.json()) as Partial<SerialisedError>;
    if (typeof j.code === 'string' && typeof j.message === 'string') return { code: j.code as SerialisedError['code'], message: j.message, details: { status: res.status } };
  } catch {
    // not JSON: fall through
  }
  return { code: 'federated-unavailable', message: `upload answered ${res.status}`, details: { status: res.status } };
}

function toSerialised(e: unknown): SerialisedError {
  if (e instanceof LocalrecError) return e.toJSON();
  return { code: 'federated-unavailable', message: e instanceof Error ? e.message : String(e), details: {} };
}
