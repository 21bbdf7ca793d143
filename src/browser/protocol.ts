/**
 * The Worker boundary: closed unions of messages keyed by `kind` and `method`, types only.
 * Every request carries an id; the Worker answers each with exactly one response with
 * the same id. Errors cross as plain { code, message, details } and the main thread
 * rebuilds a LocalrecError from them (structured clone would drop the class and code).
 */
import type {
  BackendName,
  ExplainOptions,
  Explanation,
  ExportedData,
  LocalrecEvent,
  PersonaliseOptions,
  PersonaliseResult,
  RecommendOptions,
  RecommendResult,
  SerialisedError,
  Status,
  StorageMode,
  TrackEvent,
  TrackResult,
} from './types';

/** Everything the Worker needs to start; the main client fills in defaults. */
export interface WorkerInitParams {
  /** Absolute URL of the model's manifest.json. */
  modelUrl: string;
  backend: BackendName | 'auto';
  storage: StorageMode | 'auto';
  dbName: string;
  maxEvents: number;
  /** Quiet time after the last tracked event before personalising; 0 turns idle personalisation off. */
  personaliseDebounceMs: number;
  /** Absolute URL of the folder holding the tfjs wasm binaries; null = `tfjs-wasm/` next to the Worker's folder. */
  wasmPath: string | null;
}

/** Each method's parameters and result. */
export interface Methods {
  init: { params: WorkerInitParams; result: Status };
  track: { params: { events: TrackEvent[] }; result: TrackResult };
  recommend: { params: RecommendOptions; result: RecommendResult };
  explain: { params: { item: string; options: ExplainOptions }; result: Explanation };
  personalise: { params: PersonaliseOptions; result: PersonaliseResult };
  forget: { params: Record<string, never>; result: { removedEvents: number } };
  exportData: { params: Record<string, never>; result: ExportedData };
  status: { params: Record<string, never>; result: Status };
}
export type Method = keyof Methods;

export type RequestMessage = {
  [M in Method]: { kind: 'request'; id: number; method: M; params: Methods[M]['params'] };
}[Method];

export type ResponseMessage =
  | { kind: 'response'; id: number; ok: true; value: Methods[Method]['result'] }
  | { kind: 'response'; id: number; ok: false; error: SerialisedError };

export interface EventMessage {
  kind: 'event';
  event: LocalrecEvent;
}

export type WorkerMessage = ResponseMessage | EventMessage;
