/**
 * The one assertion for typed errors: `expect(err).toHaveCode('invalid-argument')`,
 * `await expect(promise).rejects.toHaveCode(code)`, `expect(() => f()).toHaveCode(code)`
 * (the function is called and what it throws is checked), optionally with the details the
 * error must carry: `toHaveCode('invalid-event', { index: 1 })`. It accepts a LocalrecError
 * or a serialised one ({ code, message, details }, as it crosses postMessage or HTTP). On
 * failure it prints what was received: the code and message, or that nothing was thrown.
 * Registered for vitest in vitest.config.ts; a Playwright spec registers it with
 * `expect.extend(codeMatchers)`.
 */
import { isDeepStrictEqual } from 'node:util';
import { LocalrecError, type ErrorCode } from '../src/errors';

interface CodedError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

function asCoded(x: unknown): CodedError | null {
  if (x instanceof LocalrecError) return x;
  if (x && typeof x === 'object' && typeof (x as CodedError).code === 'string' && typeof (x as CodedError).message === 'string') return x as CodedError;
  return null;
}

function describe(x: unknown): string {
  const c = asCoded(x);
  if (c) return `[${c.code}] ${c.message}${c.details && Object.keys(c.details).length ? ` ${JSON.stringify(c.details)}` : ''}`;
  if (x instanceof Error) return `${x.name} without a code: ${x.message}`;
  return `not an error: ${typeof x === 'string' ? JSON.stringify(x) : String(x)}`;
}

const NOT_THROWN = Symbol('did not throw');

/** The details `expected` names, each equal in `actual` (others may be present). */
function detailsMatch(actual: Record<string, unknown> | undefined, expected: Record<string, unknown>): boolean {
  return Object.entries(expected).every(([k, v]) => isDeepStrictEqual(actual?.[k], v));
}

export const codeMatchers = {
  toHaveCode(received: unknown, code: ErrorCode, details?: Record<string, unknown>) {
    let value = received;
    if (typeof received === 'function') {
      try {
        (received as () => unknown)();
        value = NOT_THROWN;
      } catch (e) {
        value = e;
      }
    }
    const c = value === NOT_THROWN ? null : asCoded(value);
    const pass = c !== null && c.code === code && (details === undefined || detailsMatch(c.details, details));
    const want = `[${code}]${details ? ` with details ${JSON.stringify(details)}` : ''}`;
    const got = value === NOT_THROWN ? 'the function did not throw' : describe(value);
    return { pass, message: () => (pass ? `expected an error other than ${want}, got ${got}` : `expected a LocalrecError ${want}, got ${got}`) };
  },
};

declare module 'vitest' {
  interface Matchers<T = any> {
    toHaveCode(code: ErrorCode, details?: Record<string, unknown>): T;
  }
}
