/**
 * The per-step update of the item tables, by row ranges: take off the content part made
 * with the content tables before this step, AdamW on the free rows, add the content part
 * made with the tables after it, and move the weight average toward the result. Every
 * value of a row depends on that row alone, so ranges computed on different threads
 * (src/train/pool.ts) give the bits one thread gives. These passes over every row of both
 * tables cost as much as a third of a pre-training step on a 10k-item catalogue.
 */
import type { SparseFeatures } from '../model/features';
import { adamwRange, type AdamOptions } from './adam';
import { addContentRange } from './content-rows';
import { mixRange } from './weight-average';

/** The arrays a table step reads and writes (SharedArrayBuffer-backed when other threads take ranges). */
export interface TableState {
  n: number;
  d: number;
  itemIn: Float32Array;
  itemOut: Float32Array;
  /** This step's row gradients. */
  gIn: Float32Array;
  gOut: Float32Array;
  /** AdamW moments of each table. */
  mIn: Float32Array;
  vIn: Float32Array;
  mOut: Float32Array;
  vOut: Float32Array;
  /** The weight average's tables, when pre-training keeps one. */
  avgIn: Float32Array | null;
  avgOut: Float32Array | null;
  /** Each item's hashed content features, when the rows have a content part. */
  features: readonly SparseFeatures[] | null;
}

type ContentTables = { cIn: Float32Array; cOut: Float32Array };

export interface TableStepArgs {
  /** AdamW's step count (the same for both tables) and rate. */
  t: number;
  lr: number;
  adam: AdamOptions;
  content: { before: ContentTables; after: ContentTables } | null;
  /** The weight average's keep factor this step, or null without an average. */
  keep: number | null;
}

export function tableStepRange(s: TableState, a: TableStepArgs, from: number, to: number): void {
  const { d } = s;
  if (a.content && s.features) {
    addContentRange(s.itemIn, a.content.before.cIn, s.features, d, -1, from, to);
    addContentRange(s.itemOut, a.content.before.cOut, s.features, d, -1, from, to);
  }
  adamwRange(s.itemIn, s.mIn, s.vIn, s.gIn, from * d, to * d, a.t, a.lr, a.adam);
  adamwRange(s.itemOut, s.mOut, s.vOut, s.gOut, from * d, to * d, a.t, a.lr, a.adam);
  if (a.content && s.features) {
    addContentRange(s.itemIn, a.content.after.cIn, s.features, d, 1, from, to);
    addContentRange(s.itemOut, a.content.after.cOut, s.features, d, 1, from, to);
  }
  if (a.keep !== null && s.avgIn && s.avgOut) {
    mixRange(s.avgIn, s.itemIn, a.keep, from * d, to * d);
    mixRange(s.avgOut, s.itemOut, a.keep, from * d, to * d);
  }
}
