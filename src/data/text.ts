/** Reading and quoting cell values: shared by every reader, and browser-safe (no parser imported). */

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Strict decimal parse: `Number('')` is 0 and `Number('0x1f')` is 31, neither is a valid cell. */
export function parseDecimal(s: string): number | undefined {
  const t = s.trim();
  if (!DECIMAL.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** `"5"` → one string cell shown in messages, truncated so a binary blob doesn't flood the log. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}

/** Any value as it is shown in a row's message. */
export function describe(v: unknown): string {
  if (v === undefined) return '(missing)';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'bigint') return quote(String(v));
  return quote(JSON.stringify(v) ?? String(v));
}
