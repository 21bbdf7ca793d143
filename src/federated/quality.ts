/**
 * Federated evaluation, the device's side: how a model version did on the shopper's own next
 * interactions, as a tiny report that never names an item.
 *
 * The device replays its cold start as for its update (device-task.ts): support = its oldest
 * k interactions, the next ≤ 10 are what it "went on to view". For the candidate version and
 * the reference version (the last one the server promoted) it personalises with the inner
 * loop, ranks the whole catalogue (support excluded) and reports hit@10: the share of those
 * next interactions in its top 10, a number in [0, 1]. Two numbers and three ids, 28 bytes:
 *
 * | offset | type | field |
 * | --- | --- | --- |
 * | 0 | u8[4] | magic `LRFQ` |
 * | 4 | u8 | report format version (1) |
 * | 5 | u8[3] | reserved (0) |
 * | 8 | u32 | candidate model version |
 * | 12 | u32 | reference model version |
 * | 16 | u32 | round id |
 * | 20 | f32 | hit@10 of the candidate |
 * | 24 | f32 | hit@10 of the reference |
 *
 * Clipping is the range: the server refuses a value outside [0, 1]. Noise is the server's
 * (central, on the sum; guard.ts), counted in the same accountant as the deltas.
 */
import { LocalrecError } from '../errors';
import { splitForUpdate } from './device-task';
import type { IndexedEvent } from '../model/pooling';
import type { ModelSession } from '../model/session';
import type { TowerParams } from '../model/weights';

export const REPORT_MAGIC = [0x4c, 0x52, 0x46, 0x51] as const; // "LRFQ"
export const REPORT_VERSION = 1;
export const REPORT_BYTES = 28;
/** The next interactions a report looks at (the "next 10" view of the evaluation). */
export const REPORT_NEXT = 10;

export interface QualityReport {
  candidateVersion: number;
  referenceVersion: number;
  roundId: number;
  /** hit@10 of each version on the device's next interactions, in [0, 1]. */
  candidate: number;
  reference: number;
}

export function encodeQualityReport(r: QualityReport): Uint8Array {
  checkValues(r.candidate, r.reference);
  const out = new Uint8Array(REPORT_BYTES);
  const view = new DataView(out.buffer);
  out.set(REPORT_MAGIC, 0);
  out[4] = REPORT_VERSION;
  view.setUint32(8, r.candidateVersion, true);
  view.setUint32(12, r.referenceVersion, true);
  view.setUint32(16, r.roundId, true);
  view.setFloat32(20, r.candidate, true);
  view.setFloat32(24, r.reference, true);
  return out;
}

export function decodeQualityReport(bytes: Uint8Array): QualityReport {
  if (bytes.byteLength !== REPORT_BYTES || REPORT_MAGIC.some((b, i) => bytes[i] !== b) || bytes[4] !== REPORT_VERSION) {
    throw new LocalrecError('update-malformed', `a quality report is ${REPORT_BYTES} bytes starting with LRFQ and version ${REPORT_VERSION}`, { bytes: bytes.byteLength });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r: QualityReport = {
    candidateVersion: view.getUint32(8, true),
    referenceVersion: view.getUint32(12, true),
    roundId: view.getUint32(16, true),
    candidate: view.getFloat32(20, true),
    reference: view.getFloat32(24, true),
  };
  checkValues(r.candidate, r.reference);
  return r;
}

function checkValues(...xs: number[]): void {
  for (const x of xs) {
    if (!Number.isFinite(x)) throw new LocalrecError('update-non-finite', 'a quality report value is not finite');
    if (x < 0 || x > 1) throw new LocalrecError('update-norm-too-large', `a quality report value must be in [0, 1], got ${x}`, { value: x });
  }
}

/** Share of `next` (at most REPORT_NEXT items) in the top 10 of `scores`, items in `exclude` not ranked. */
export function hitAt10(scores: Float32Array, next: readonly number[], exclude: ReadonlySet<number>): number {
  const wanted = new Set(next.slice(0, REPORT_NEXT).filter((i) => !exclude.has(i)));
  if (wanted.size === 0) return 0;
  // Top 10 by a single pass keeping the 10 best (the catalogue can be large; no full sort).
  const top: number[] = [];
  for (let j = 0; j < scores.length; j++) {
    if (exclude.has(j)) continue;
    if (top.length < 10) {
      top.push(j);
      top.sort((a, b) => scores[b] - scores[a]);
    } else if (scores[j] > scores[top[9]]) {
      top[9] = j;
      top.sort((a, b) => scores[b] - scores[a]);
    }
  }
  let hits = 0;
  for (const j of top) if (wanted.has(j)) hits++;
  return hits / Math.min(10, wanted.size);
}

/**
 * The device's replay for a report: support = its oldest min(supportSize, n − 1)
 * interactions, next = the following ≤ REPORT_NEXT (null with fewer than two: nothing later
 * to measure on). The Worker and the simulation both split here.
 */
export function reportTask(events: readonly IndexedEvent[], supportSize: number): ReportTask | null {
  const t = splitForUpdate(events, supportSize, REPORT_NEXT);
  return t ? { support: t.support, next: t.query } : null;
}

export interface ReportTask {
  support: readonly IndexedEvent[];
  /** The interactions after the support, oldest first (the first REPORT_NEXT are looked at). */
  next: readonly IndexedEvent[];
}

/**
 * hit@10 of each task under one tower: the inner loop on the support from `tower` (what the
 * device's personalisation runs), then the full-catalogue ranking with the support excluded.
 */
export async function hitsUnder(session: ModelSession, tower: TowerParams, tasks: readonly ReportTask[], batch = 64): Promise<number[]> {
  const out: number[] = [];
  const n = session.weights.n;
  for (let i = 0; i < tasks.length; i += batch) {
    const part = tasks.slice(i, i + batch);
    const { scores } = await session.adaptAndScore(
      tower,
      part.map((t) => t.support),
    );
    part.forEach((t, b) => {
      const exclude = new Set(t.support.map((e) => e.index));
      out.push(hitAt10(scores.subarray(b * n, (b + 1) * n), t.next.map((e) => e.index), exclude));
    });
  }
  return out;
}
