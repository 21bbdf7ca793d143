/**
 * Id validity: the one rule the SDK's track() and the trainer both apply, so an id the
 * device stores is an id the trainer learns and the other way round (before this rule
 * the SDK stored '   ', NUL and newline ids that the trainer refused). Browser-safe.
 */

/** The longest item id (the SDK's event schema, and so the trainer's). */
export const MAX_ITEM_ID_LENGTH = 256;
/** Longer user ids are not ids but a broken column (a JSON blob, a whole line). */
export const MAX_USER_ID_LENGTH = 1024;

/** GA4's marker of a missing value in its exports: never an id, on the device or in a file. */
export const GA4_NOT_SET = '(not set)';

// Control characters in an id are a broken export (NUL, or a binary field); "\u0000" also separates user and item in dedupe keys.
const CONTROL = /[\u0000-\u001f\u007f]/;
// Nothing but format characters (zero-width spaces and joiners, word joiners) and spaces: an id no one can see or type.
const INVISIBLE = /^[\p{Cf}\p{White_Space}]*$/u;

/** The rule in words, for messages. */
export function idRule(maxLength: number): string {
  return `1–${maxLength} characters after trimming, without control characters, not only invisible ones, not '(not set)'`;
}

/**
 * The id a text stands for: trimmed (a padded CSV cell and the shop's own value are one
 * id), or undefined when nothing is left, it is longer than `maxLength`, it holds a
 * control character, or it is GA4's '(not set)'.
 */
export function normaliseId(text: string, maxLength: number = MAX_ITEM_ID_LENGTH): string | undefined {
  const id = text.trim();
  return id === '' || id.length > maxLength || CONTROL.test(id) || INVISIBLE.test(id) || id === GA4_NOT_SET ? undefined : id;
}

/**
 * An id out of a file's value: text by the rule above; an integer (JSON number or a Parquet
 * INT64 as bigint) as its decimal text. Anything else is no id.
 */
export function idOf(value: unknown, maxLength: number = MAX_ITEM_ID_LENGTH): string | undefined {
  if (typeof value === 'string') return normaliseId(value, maxLength);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'bigint') return String(value);
  return undefined;
}
