/**
 * What a round store keeps durably: the published model versions, the open round, and
 * the updates accepted into it (one per client). Two implementations: store-file.ts
 * (embedded, no service) and store-redis.ts (several server processes share a round).
 */
import type { EncodedModel } from '../model/format';

export interface RoundState {
  roundId: number;
  /** The published model version the open round trains. */
  modelVersion: number;
  openedAt: number;
  /** 'aggregating': the round takes no more updates; its aggregate is being published. */
  phase: 'collecting' | 'aggregating';
  /** Updates accepted into the open round. */
  accepted: number;
}

export type AcceptOutcome =
  | { status: 'accepted'; accepted: number }
  | { status: 'duplicate' }
  /** The round is full or aggregating. */
  | { status: 'closed' }
  /** The round id is no longer (or not yet) the open one. */
  | { status: 'stale'; roundId: number };

/**
 * What a device sends into a round: its model update, or its quality report on the version
 * the round trains (quality.ts). Each kind is at most one per client per round.
 */
export type RecordKind = 'update' | 'report';

export interface StoredUpdate {
  clientId: string;
  /** The update exactly as uploaded (wire format). */
  body: Uint8Array;
}

export interface FederatedStore {
  readonly kind: 'file' | 'redis';
  /** Recovers the stored state, or publishes `initial` as the first version and opens round 1. */
  open(initial: EncodedModel, now: number): Promise<RoundState>;
  state(): Promise<RoundState>;
  /**
   * Resolves only once the record is durable; at most one of each kind per client per round,
   * at most maxClients of each kind per round. `accepted` counts that kind.
   */
  accept(roundId: number, clientId: string, body: Uint8Array, maxClients: number, kind?: RecordKind): Promise<AcceptOutcome>;
  /**
   * Single aggregator: resolves to a release function, or null when another process
   * aggregates. The lock expires after ttlMs so a crashed aggregator cannot block rounds.
   */
  lock(ttlMs: number): Promise<(() => Promise<void>) | null>;
  /** Whether the round already holds this client's update (or report). */
  has(roundId: number, clientId: string, kind?: RecordKind): Promise<boolean>;
  /** Stops the round taking updates and reports and returns its updates (one per client). Null if `roundId` is not the open round. */
  closeRound(roundId: number): Promise<StoredUpdate[] | null>;
  /** The reports of a round closeRound closed (one per client); empty once it is published. */
  reports(roundId: number): Promise<StoredUpdate[]>;
  /**
   * Writes `model` completely, then atomically makes it the served version and opens
   * round `roundId + 1`. A crash before the switch leaves round `roundId` as it was.
   */
  publish(roundId: number, model: EncodedModel, now: number): Promise<RoundState>;
  /** A published version's files (the newest few are kept). */
  model(version: number): Promise<EncodedModel | null>;
  close(): Promise<void>;
}
