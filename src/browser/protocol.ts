/**
 * The Worker boundary, types only: each method's params and result in one table, from
 * which the request/response messages, the Worker's handler table and the client's typed
 * `call` are all derived — a handler returning the wrong type fails to compile. Every
 * request carries an id; the Worker answers each with exactly one response with the same
 * id. Errors cross as a plain SerialisedError (see LocalrecError.toJSON/fromJSON).
 */
import type { SerialisedError } from '../errors';
import type { FederatedConfig } from '../federated/client';
import type * as T from './types';

/** Everything the Worker needs to start; the main client fills in defaults. */
export interface WorkerInitParams {
  /** Absolute URL of the model's manifest.json. */
  modelUrl: string;
  backend: T.BackendName | 'auto';
  storage: T.StorageMode | 'auto';
  dbName: string;
  maxEvents: number;
  /** Quiet time after the last tracked event before personalising; 0 turns idle personalisation off. */
  personaliseDebounceMs: number;
  /** Absolute URL of the folder holding the tfjs wasm binaries; null = `tfjs-wasm/` next to the Worker's folder. */
  wasmPath: string | null;
  /** The consent state when init is sent; later changes arrive as `consent` requests. */
  consent: T.ConsentState;
  /** Federated rounds; null or absent = never upload. Uploads also need consent 'granted'. */
  federated?: FederatedConfig | null;
}

type NoParams = Record<string, never>;

/** Each method's parameters and result. */
export interface Methods {
  init: { params: WorkerInitParams; result: T.Status };
  track: { params: { events: T.TrackEvent[] }; result: T.TrackResult };
  recommend: { params: T.RecommendOptions; result: T.RecommendResult };
  explain: { params: { item: string; options: T.ExplainOptions }; result: T.Explanation };
  personalise: { params: T.PersonaliseOptions; result: T.PersonaliseResult };
  forget: { params: NoParams; result: { removedEvents: number } };
  exportData: { params: NoParams; result: T.ExportedData };
  status: { params: NoParams; result: T.Status };
  /**
   * 'denied' deletes stored events and personal weights; not 'granted' stops using them,
   * and stops federated uploads (a running one is cancelled).
   */
  consent: { params: { state: T.ConsentState }; result: { removedEvents: number } };
  /** Shop data, not shopper data: needs no consent, and forget() keeps it. */
  setAvailability: { params: { ids: string[]; available: boolean }; result: T.AvailabilityResult };
}
export type Method = keyof Methods;
export type Params<M extends Method> = Methods[M]['params'];
export type Result<M extends Method> = Methods[M]['result'];

/** The Worker's side: one handler per method. */
export type Handlers = { [M in Method]: (params: Params<M>) => Promise<Result<M>> };

/** A request for method M; with the default, the union of every method's request. */
export type RequestMessage<M extends Method = Method> = {
  [K in M]: { kind: 'request'; id: number; method: K; params: Params<K> };
}[M];

export type ResponseMessage =
  | { kind: 'response'; id: number; ok: true; value: Result<Method> }
  | { kind: 'response'; id: number; ok: false; error: SerialisedError };

export interface EventMessage {
  kind: 'event';
  event: T.LocalrecEvent;
}

export type WorkerMessage = ResponseMessage | EventMessage;
