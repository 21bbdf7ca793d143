/**
 * The rating scale: the one rule the SDK's track() and the trainer's event files apply. A
 * rating outside it (−5, 1e308) is a broken export, not a strong opinion: the trainer used
 * to accept it and train exactly as on a 5, with no word. Browser-safe.
 */
export const MIN_RATING = 0;
export const MAX_RATING = 10;

/** MovieLens declares its own scale: half stars from 0.5 to 5. */
export const MOVIELENS_RATING = { min: 0.5, max: 5 } as const;

/** Whether `x` is a rating on the scale [min, max] (finite). */
export function onScale(x: number, scale: { min: number; max: number } = { min: MIN_RATING, max: MAX_RATING }): boolean {
  return Number.isFinite(x) && x >= scale.min && x <= scale.max;
}
