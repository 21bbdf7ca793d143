/**
 * One error class for the whole SDK, with kebab-case codes people and tests can act on
 * (tests assert the code, never the wording). `details` carries the facts behind it.
 */
export const ERROR_CODES = [
  'model-format',
  'model-hash-mismatch',
  'model-version-unsupported',
  'model-fetch-failed',
  'model-not-loaded',
  'invalid-event',
  'unknown-item',
  'store-unavailable',
  'store-quota-exceeded',
  'backend-unavailable',
  'worker-failed',
  'consent-required',
  'invalid-argument',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorDetails = Record<string, string | number | boolean | null | undefined>;

export class LocalrecError extends Error {
  override readonly name = 'LocalrecError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(`[${code}] ${message}`);
  }

  /** Plain form that survives postMessage (structured clone drops the class and custom fields). */
  toJSON(): { code: ErrorCode; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isLocalrecError(e: unknown, code?: ErrorCode): e is LocalrecError {
  return e instanceof LocalrecError && (code === undefined || e.code === code);
}
