/**
 * Timestamps: the one window an interaction's time must fall in, for the SDK's track() and
 * the trainer alike, and how the trainer reads a file's time value (epoch in any of four
 * units, or ISO 8601). Browser-safe.
 */
import { describe, parseDecimal } from './text';

/**
 * Anything outside these years is a unit or data mistake, not a shopper's interaction
 * (MovieLens' ratings start in 1996; seconds read as milliseconds land in January 1970).
 */
export const TIMESTAMP_WINDOW = {
  earliestMs: Date.UTC(1990, 0, 1),
  latestMs: Date.UTC(2100, 0, 1),
  /** A day of clock skew and time zones: anything later than now plus this is in the future. */
  futureSlackMs: 86_400_000,
} as const;

/** Whether epoch milliseconds `ms` can be an interaction's time (the SDK's check: no message to ship in the page bundle). */
export function inTimestampWindow(ms: number, now: number = Date.now()): boolean {
  return Number.isFinite(ms) && ms >= TIMESTAMP_WINDOW.earliestMs && ms < TIMESTAMP_WINDOW.latestMs && ms <= now + TIMESTAMP_WINDOW.futureSlackMs;
}

/** Why epoch milliseconds `ms` cannot be an interaction's time (read as `unit`), or undefined when it can. */
export function timestampProblem(ms: number, now: number = Date.now(), shown: string = String(ms), unit = 'milliseconds'): string | undefined {
  if (inTimestampWindow(ms, now)) return undefined;
  if (!Number.isFinite(ms) || ms < TIMESTAMP_WINDOW.earliestMs || ms >= TIMESTAMP_WINDOW.latestMs) {
    const year = new Date(ms).getUTCFullYear(); // NaN beyond what Date can hold
    return `timestamp ${shown} read as ${unit} is in the year ${Number.isNaN(year) ? 'beyond 275760' : year}, outside 1990–2100`;
  }
  // No shopper interacted tomorrow: a later time is a unit, clock or time-zone mistake that would reorder the history.
  return `timestamp ${shown} read as ${unit} is in the future (${new Date(ms).toISOString()})`;
}

/**
 * Numeric epochs, unit by magnitude: below 1e11 seconds (1e11 s is the year 5138, 1e11 ms is
 * 1973), below 1e14 milliseconds, below 1e17 microseconds (GA4 exports), else nanoseconds.
 */
const EPOCH_UNITS = [
  { below: 1e11, toMs: 1e3, name: 'seconds' },
  { below: 1e14, toMs: 1, name: 'milliseconds' },
  { below: 1e17, toMs: 1e-3, name: 'microseconds' },
  { below: Infinity, toMs: 1e-6, name: 'nanoseconds' },
] as const;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;
const DIGITS = /^\d{1,20}$/;

/**
 * Epoch seconds, milliseconds, microseconds or nanoseconds (told apart by magnitude, see
 * EPOCH_UNITS; a string of digits, a number or a bigint as Parquet's INT64) or an ISO 8601
 * date → epoch ms, or undefined when unreadable or outside TIMESTAMP_WINDOW. An ISO
 * date-time without a zone is read as UTC, so the result does not depend on the machine's
 * time zone.
 */
export function parseTimestamp(value: unknown, now: number = Date.now()): number | undefined {
  const t = readTimestamp(value, now);
  return typeof t === 'number' ? t : undefined;
}

/** Epoch ms, or why not (a message for the row's error). */
export function readTimestamp(value: unknown, now: number = Date.now()): number | string {
  const invalid = () => `invalid timestamp ${describe(value)} (expected epoch seconds, milliseconds or microseconds, or an ISO 8601 date)`;
  let n: number | undefined;
  let ms: number | undefined;
  let unit = 'an ISO 8601 date';
  if (typeof value === 'number') n = Number.isFinite(value) ? value : undefined;
  else if (typeof value === 'bigint') n = Number(value);
  else if (typeof value === 'string') {
    const s = value.trim();
    // GA4's INT64 µs as a JSON string is the common case: plain digits skip the regular expression of parseDecimal.
    n = DIGITS.test(s) ? Number(s) : parseDecimal(s);
    if (n === undefined && ISO_DATE.test(s)) {
      const dateOnly = s.length === 10;
      const parsed = Date.parse(dateOnly || HAS_ZONE.test(s) ? s : `${s}Z`);
      if (!Number.isFinite(parsed)) return invalid();
      ms = parsed;
    }
  }
  if (ms === undefined) {
    if (n === undefined || n < 0) return invalid();
    const u = EPOCH_UNITS.find((x) => n! < x.below)!;
    unit = u.name;
    ms = Math.round(n * u.toMs);
  }
  return inTimestampWindow(ms, now) ? ms : timestampProblem(ms, now, describe(value), unit)!;
}
