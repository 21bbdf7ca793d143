/**
 * Hyper-parameter search whose answer is never at the edge of its grid: coordinate ascent
 * over per-parameter axes, stepping to a neighbouring value while the objective improves,
 * and extending an axis past its listed ends (geometrically or arithmetically) when the
 * best value sits there. It stops at a point whose every extendable neighbour was tried
 * and was no better, so a tuned value is interior unless it hit a hard bound (`min`/`max`,
 * e.g. "all neighbours"), which the result says. Ties keep the earlier point.
 */

export interface Axis {
  /** Values in increasing order; the search starts at `start` or the middle one. */
  values: readonly number[];
  /** How to extend past the ends: 'log' repeats the end ratio, 'linear' the end gap; absent = fixed. */
  extend?: 'log' | 'linear';
  /** Hard bounds an extension never crosses. */
  min?: number;
  max?: number;
  /** Round extended values to integers (counts, sizes). */
  integer?: boolean;
  start?: number;
}

export type Axes = Readonly<Record<string, Axis>>;
export type Point = Readonly<Record<string, number>>;

export interface SearchResult {
  best: Point;
  score: number;
  /** Every evaluated point in evaluation order. */
  trials: { params: Point; score: number }[];
  /**
   * Per parameter: 'interior' (both neighbours tried, neither better), the hard bound it
   * stopped at, 'fixed' (a one-value axis), or 'budget' (a neighbour left untried when
   * `maxTrials` ran out).
   */
  position: Record<string, 'interior' | 'min' | 'max' | 'fixed' | 'budget'>;
}

export interface SearchOptions {
  /** Upper bound on objective evaluations (default 40). */
  maxTrials?: number;
  onTrial?: (done: number, params: Point, score: number) => void;
}

const key = (p: Point): string =>
  Object.keys(p)
    .sort()
    .map((k) => `${k}=${p[k]}`)
    .join(',');

/** The value after (dir 1) or before (dir −1) `value` on the axis, extending it if allowed; null past a bound. */
export function neighbour(axis: Axis, value: number, dir: 1 | -1): number | null {
  const vs = axis.values;
  const i = vs.indexOf(value);
  if (i >= 0 && i + dir >= 0 && i + dir < vs.length) return vs[i + dir];
  if (!axis.extend || vs.length < 2) return null;
  // Extend from the current end: the ratio or gap of the two values nearest to it.
  const [a, b] = dir === 1 ? [vs[vs.length - 2], vs[vs.length - 1]] : [vs[1], vs[0]];
  let next = value;
  const step = axis.extend === 'log' ? b / a : b - a;
  if (axis.extend === 'log') {
    if (!(a > 0 && b > 0)) return null;
    next = value * step;
  } else next = value + step;
  if (axis.integer) next = Math.round(next);
  if (next === value) return null;
  if (axis.min !== undefined && next < axis.min) return null;
  if (axis.max !== undefined && next > axis.max) return null;
  return next;
}

export async function searchGrid(axes: Axes, objective: (p: Point) => Promise<number>, opts: SearchOptions = {}): Promise<SearchResult> {
  const maxTrials = opts.maxTrials ?? 40;
  const names = Object.keys(axes);
  // Extended values join their axis so the next neighbour lookup continues from them.
  const values = new Map(names.map((n) => [n, [...axes[n].values]]));
  const axisOf = (n: string): Axis => ({ ...axes[n], values: values.get(n)! });
  const seen = new Map<string, number>();
  const trials: SearchResult['trials'] = [];
  const evaluate = async (p: Point): Promise<number | null> => {
    const k = key(p);
    const cached = seen.get(k);
    if (cached !== undefined) return cached;
    if (trials.length >= maxTrials) return null;
    const score = await objective(p);
    seen.set(k, score);
    trials.push({ params: p, score });
    opts.onTrial?.(trials.length, p, score);
    return score;
  };

  let best: Point = Object.fromEntries(names.map((n) => {
    const a = axes[n];
    return [n, a.start ?? a.values[Math.floor((a.values.length - 1) / 2)]];
  }));
  let bestScore = (await evaluate(best)) ?? -Infinity;
  for (let moved = true; moved; ) {
    moved = false;
    for (const n of names) {
      for (const dir of [-1, 1] as const) {
        // Walk in this direction while it improves.
        for (;;) {
          const v = neighbour(axisOf(n), best[n], dir);
          if (v === null) break;
          const list = values.get(n)!;
          if (!list.includes(v)) {
            list.push(v);
            list.sort((x, y) => x - y);
          }
          const cand = { ...best, [n]: v };
          const s = await evaluate(cand);
          if (s === null || !(s > bestScore)) break;
          best = cand;
          bestScore = s;
          moved = true;
        }
      }
    }
  }
  const position: SearchResult['position'] = {};
  for (const n of names) {
    const a = axisOf(n);
    const lo = neighbour(a, best[n], -1);
    const hi = neighbour(a, best[n], 1);
    const tried = (v: number | null) => v === null || seen.has(key({ ...best, [n]: v }));
    if (!tried(lo) || !tried(hi)) position[n] = 'budget';
    else if (lo !== null && hi !== null) position[n] = 'interior';
    else position[n] = lo === null && hi === null ? 'fixed' : lo === null ? 'min' : 'max';
  }
  return { best, score: bestScore, trials, position };
}
