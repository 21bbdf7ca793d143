/**
 * Ranking metrics of DESIGN.md ("Evaluation protocol"), over full-catalogue rankings.
 * All per-user metrics take the ranked list of catalogue indices (best first) and the
 * set of relevant (query) indices.
 */

/**
 * Indices of the `n` highest scores, best first, skipping `excluded` indices.
 * Ties go to the lower index, so the result is deterministic; NaN ranks below everything.
 * One pass with a small sorted buffer: O(|scores| + hits·n), far cheaper than a full sort.
 */
export function topN(scores: Float32Array, n: number, excluded?: Iterable<number>): Int32Array {
  const len = scores.length;
  let mask: Uint8Array | undefined;
  if (excluded) {
    mask = new Uint8Array(len);
    for (const i of excluded) if (i >= 0 && i < len) mask[i] = 1;
  }
  const cap = Math.min(n, len);
  const idx = new Int32Array(cap);
  const val = new Float64Array(cap);
  let size = 0;
  for (let i = 0; i < len; i++) {
    if (mask && mask[i]) continue;
    let s: number = scores[i];
    if (s !== s) s = -Infinity; // NaN
    // Strict comparison against the current worst keeps earlier (lower) indices on ties.
    if (size === cap) {
      if (cap === 0 || !(s > val[size - 1])) continue;
      size--;
    }
    let j = size;
    while (j > 0 && s > val[j - 1]) {
      val[j] = val[j - 1];
      idx[j] = idx[j - 1];
      j--;
    }
    val[j] = s;
    idx[j] = i;
    size++;
  }
  return size === cap ? idx : idx.slice(0, size);
}

/** Hits in the top 20 / min(20, |relevant|). */
export function recallAt(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, n = 20): number {
  if (relevant.size === 0) return 0;
  const m = Math.min(n, ranked.length);
  let hits = 0;
  for (let r = 0; r < m; r++) if (relevant.has(ranked[r])) hits++;
  return hits / Math.min(n, relevant.size);
}

/** NDCG@n with binary relevance; ideal DCG over min(n, |relevant|) items. */
export function ndcgAt(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, n = 10): number {
  if (relevant.size === 0) return 0;
  const m = Math.min(n, ranked.length);
  let dcg = 0;
  for (let r = 0; r < m; r++) if (relevant.has(ranked[r])) dcg += 1 / Math.log2(r + 2);
  let idcg = 0;
  const ideal = Math.min(n, relevant.size);
  for (let r = 0; r < ideal; r++) idcg += 1 / Math.log2(r + 2);
  return dcg / idcg;
}

/** 1 when any relevant item is in the top n, else 0. */
export function hitRateAt(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, n = 10): number {
  const m = Math.min(n, ranked.length);
  for (let r = 0; r < m; r++) if (relevant.has(ranked[r])) return 1;
  return 0;
}

/** Share of the catalogue that appears in at least one user's top n. */
export function catalogueCoverage(lists: readonly ArrayLike<number>[], catalogueSize: number, n = 10): number {
  if (catalogueSize === 0) return 0;
  const seen = new Uint8Array(catalogueSize);
  let count = 0;
  for (const list of lists) {
    const m = Math.min(n, list.length);
    for (let r = 0; r < m; r++) {
      const i = list[r];
      if (!seen[i]) {
        seen[i] = 1;
        count++;
      }
    }
  }
  return count / catalogueSize;
}

/**
 * Long-tail mask by the usual "short head" definition (Abdollahpouri et al. 2017): sort
 * items by training interactions, descending (ties: lower index first); the short head is
 * the smallest prefix whose interactions reach `headShare` (20%) of all training
 * interactions; every other catalogue item (including never-interacted ones) is long tail.
 */
export function longTailMask(itemCounts: ArrayLike<number>, headShare = 0.2): Uint8Array {
  const n = itemCounts.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => itemCounts[b] - itemCounts[a] || a - b,
  );
  let total = 0;
  for (let i = 0; i < n; i++) total += itemCounts[i];
  const tail = new Uint8Array(n).fill(1);
  let acc = 0;
  for (const i of order) {
    if (acc >= headShare * total) break;
    tail[i] = 0;
    acc += itemCounts[i];
  }
  return tail;
}

/** Share of all top-n recommendation slots (over every user) taken by long-tail items. */
export function longTailShare(lists: readonly ArrayLike<number>[], tail: Uint8Array, n = 10): number {
  let slots = 0;
  let inTail = 0;
  for (const list of lists) {
    const m = Math.min(n, list.length);
    for (let r = 0; r < m; r++) {
      slots++;
      inTail += tail[list[r]];
    }
  }
  return slots === 0 ? 0 : inTail / slots;
}
