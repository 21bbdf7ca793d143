/**
 * One error class for the whole project, with kebab-case codes people and tests can act
 * on (tests assert the code, never the wording). The message is short and never repeats
 * the code; `details` carries the facts behind it; `hint` (development builds only, see
 * dev.ts) says what to do about it.
 */
export const ERROR_CODES = [
  // The model and its files.
  'model-format',
  'model-hash-mismatch',
  'model-version-unsupported',
  'model-fetch-failed',
  'model-not-loaded',
  // Caller input.
  'invalid-argument',
  'invalid-event',
  'unknown-item',
  // The browser runtime.
  'store-unavailable',
  'store-quota-exceeded',
  'backend-unavailable',
  'worker-failed',
  /** A Worker call got no answer within its timeout (LocalrecOptions.timeouts). */
  'worker-timeout',
  'consent-required',
  // Ingesting data sets (Node): a whole input that cannot be read, not a bad row (that is a RowError).
  'data-format',
  'data-missing-column',
  'data-missing-file',
  'data-unreadable-file',
  'data-bad-spec',
  // CLI input checked before training (src/cli/check-input.ts): too little data, too many bad rows, a protected or unwritable output.
  'data-too-small',
  'data-bad-rows',
  'output-protected',
  'output-unwritable',
  // A call made in the wrong order (a programming error, e.g. scoring before fitting).
  'invalid-state',
  // Federated rounds: why the server refused an update (each maps to one 4xx status), and client-side failures.
  'update-token-missing',
  'update-token-invalid',
  'update-too-large',
  'update-malformed',
  'update-wrong-shape',
  'update-wrong-dtype',
  'update-non-finite',
  'update-norm-too-large',
  'update-stale-round',
  'update-unknown-round',
  'update-stale-model',
  'update-duplicate',
  'update-round-closed',
  'update-rate-limited',
  'federated-config',
  'federated-unavailable',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorDetails = Record<string, string | number | boolean | null | undefined>;

/** What crosses postMessage (structured clone drops the class and custom fields). */
export interface SerialisedError {
  code: ErrorCode;
  message: string;
  details: ErrorDetails;
}

export class LocalrecError extends Error {
  override readonly name = 'LocalrecError';
  /**
   * @param hint a developer explanation appended to the message; pass it as
   *   `DEV ? '…' : undefined` so production browser builds drop the text.
   */
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
    hint?: string,
  ) {
    super(hint ? `${message}. ${hint}` : message);
  }

  /** "LocalrecError [code]: message", as Node shows its coded errors. */
  override toString(): string {
    return `${this.name} [${this.code}]: ${this.message}`;
  }

  toJSON(): SerialisedError {
    return { code: this.code, message: this.message, details: this.details };
  }

  /** Rebuilds an error that crossed postMessage. */
  static fromJSON(e: SerialisedError): LocalrecError {
    return new LocalrecError(e.code, e.message, e.details);
  }
}

export function isLocalrecError(e: unknown, code?: ErrorCode): e is LocalrecError {
  return e instanceof LocalrecError && (code === undefined || e.code === code);
}
