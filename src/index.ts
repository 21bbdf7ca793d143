/**
 * localrec: a recommender that learns in the shopper's browser. This is the npm entry;
 * it exposes the main-thread client and its types only (the Worker is spawned by it).
 *
 * @packageDocumentation
 */
export { createLocalrec, type Localrec, type LocalrecOptions } from './browser/main-client';
export { DEFAULT_TIMEOUTS } from './browser/main-transport';
export { LocalrecError, isLocalrecError, ERROR_CODES, type ErrorCode, type ErrorDetails } from './errors';
export { BACKEND_NAMES, CONSENT_STATES, WARNING_CODES } from './browser/types';
export { EVENT_TYPES } from './data/types';
export { GA4_EVENT_TYPES } from './data/ga4';
export type {
  AvailabilityResult,
  BackendName,
  BackendProbe,
  BackendSource,
  ConsentState,
  ContextReason,
  EventType,
  ExplainOptions,
  ExplainReason,
  Explanation,
  ExportedData,
  FederatedOutcome,
  FederatedStatus,
  Ga4EventName,
  Ga4TrackEvent,
  ItemInfo,
  ItemMeta,
  LocalrecEvent,
  LocalrecMethod,
  PersonaliseOptions,
  PersonaliseResult,
  PersonalWeightsInfo,
  PriceRange,
  RecommendOptions,
  RecommendResult,
  Recommendation,
  RecommendMode,
  SerialisedError,
  Status,
  StatusWarning,
  StorageMode,
  StoredEvent,
  TrackEvent,
  TrackResult,
  WarningCode,
} from './browser/types';
