/**
 * The pre-training step's arithmetic on Float32Arrays, by hand: the tower, the scores of
 * a batch's contexts against its candidates, the (sampled) softmax cross-entropy mixed
 * with distillation, and every gradient. Measured on the development machine, one
 * thread: tfjs-wasm's matrix product ran at ~1.9 GFLOP/s and a whole step through tfjs
 * (B = 256, 2,300 candidates, d = 64) took ~190 ms against ~120 ms for its three
 * products alone; the blocked dot products below run at ~4.5 GFLOP/s.
 *
 * The step splits into two passes that several threads share (src/train/pool.ts):
 * `rowsPass` over the batch's rows (each row's tower, scores, softmax, the gradient of
 * its scores, of its user vector and of its pooled context depend on that row alone) and
 * `columnsPass` over candidates and tower rows (each candidate's row gradient sums over
 * the batch's rows in row order, and so does each tower row's). Every value is computed
 * by one thread in one order whatever the ranges, so the step gives the same bits at
 * any thread count.
 */
import type { TowerParams } from '../model/weights';

/**
 * out[(i − from)·outStride + j] = Σ_k a[i·len + k]·b[j·len + k] for rows i in [from, to) of
 * `a` and rows j in [0, nb) of `b`. Each sum runs over k in order in doubles and is
 * rounded once to float32, so the value does not depend on how rows are blocked: four
 * rows of `a` by two of `b` share their loads, which is what makes this ~2.4× faster
 * than one dot product at a time.
 */
export function dotRows(a: Float32Array, from: number, to: number, b: Float32Array, nb: number, len: number, out: Float32Array, outStride: number): void {
  let i = from;
  for (; i + 4 <= to; i += 4) {
    const a0 = i * len;
    const a1 = a0 + len;
    const a2 = a1 + len;
    const a3 = a2 + len;
    const o = (i - from) * outStride;
    let j = 0;
    for (; j + 2 <= nb; j += 2) {
      const b0 = j * len;
      const b1 = b0 + len;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
      for (let k = 0; k < len; k++) {
        const x = b[b0 + k];
        const y = b[b1 + k];
        const p = a[a0 + k];
        const q = a[a1 + k];
        const r = a[a2 + k];
        const s = a[a3 + k];
        s0 += p * x; s1 += q * x; s2 += r * x; s3 += s * x;
        t0 += p * y; t1 += q * y; t2 += r * y; t3 += s * y;
      }
      out[o + j] = s0;
      out[o + outStride + j] = s1;
      out[o + 2 * outStride + j] = s2;
      out[o + 3 * outStride + j] = s3;
      out[o + j + 1] = t0;
      out[o + outStride + j + 1] = t1;
      out[o + 2 * outStride + j + 1] = t2;
      out[o + 3 * outStride + j + 1] = t3;
    }
    for (; j < nb; j++) {
      const b0 = j * len;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < len; k++) {
        const x = b[b0 + k];
        s0 += a[a0 + k] * x; s1 += a[a1 + k] * x; s2 += a[a2 + k] * x; s3 += a[a3 + k] * x;
      }
      out[o + j] = s0;
      out[o + outStride + j] = s1;
      out[o + 2 * outStride + j] = s2;
      out[o + 3 * outStride + j] = s3;
    }
  }
  for (; i < to; i++) {
    const a0 = i * len;
    const o = (i - from) * outStride;
    for (let j = 0; j < nb; j++) {
      const b0 = j * len;
      let s = 0;
      for (let k = 0; k < len; k++) s += a[a0 + k] * b[b0 + k];
      out[o + j] = s;
    }
  }
}

/** A tower's parameters, sizes and the transposes of its weights (w1T: hidden×d, w2T: d×hidden), so every product is a dotRows. */
export interface KernelTower extends TowerParams {
  d: number;
  hidden: number;
  w1T: Float32Array;
  w2T: Float32Array;
}

/** Copies a tower's parameters into a kernel tower, with the transposes. */
export function setTower(k: KernelTower, t: TowerParams): void {
  const { d, hidden: h } = k;
  k.w1.set(t.w1);
  k.b1.set(t.b1);
  k.w2.set(t.w2);
  k.b2.set(t.b2);
  for (let c = 0; c < d; c++) for (let j = 0; j < h; j++) k.w1T[j * d + c] = t.w1[c * h + j];
  for (let j = 0; j < h; j++) for (let c = 0; c < d; c++) k.w2T[c * h + j] = t.w2[j * d + c];
}

/**
 * Everything one step's passes read and write, sized for the largest batch (`maxB` rows,
 * `maxM` candidates): SharedArrayBuffer-backed when worker threads take ranges, so only
 * the sizes travel per step.
 */
export interface StepBuffers {
  maxB: number;
  maxM: number;
  /** The student's tower (copied in each step). */
  tower: KernelTower;
  /** B×d pooled contexts. */
  pooled: Float32Array;
  /** m×d candidate output rows and their transpose d×m. */
  rows: Float32Array;
  rowsT: Float32Array;
  /** m: each candidate's bias − logQ (logQ = 0 with the full softmax). */
  offset: Float64Array;
  /** B: each row's target among the candidates. */
  target: Int32Array;
  /** Outputs of the rows pass: B×d user vectors, B×hidden hidden units, B×d their gradients, B×hidden, B×d pooled-context gradients, per-row loss. */
  users: Float32Array;
  hidden: Float32Array;
  gUsers: Float32Array;
  gHidden: Float32Array;
  gPooled: Float32Array;
  loss: Float64Array;
  /** m×B score gradients (transposed: a candidate's column is contiguous) and the transposes (·×B) the columns pass sums over. */
  gScoresT: Float32Array;
  usersT: Float32Array;
  pooledT: Float32Array;
  hiddenT: Float32Array;
  gUsersT: Float32Array;
  gHiddenT: Float32Array;
  /** Outputs of the columns pass: m×d candidate row gradients, m bias gradients, the tower's gradient. */
  gRows: Float32Array;
  gBias: Float32Array;
  gTower: TowerParams;
  /** The distillation teacher, when the step distils: its tower (fixed), B×dT pooled contexts, m×dT candidate rows, m offsets. */
  teacher: { tower: KernelTower; pooled: Float32Array; rows: Float32Array; offset: Float64Array } | null;
}

/** The sizes and mixing of one step. */
export interface StepArgs {
  B: number;
  m: number;
  /** Distillation's share of the loss and its temperature (weight 0: no teacher term). */
  distillWeight: number;
  temperature: number;
}

export function allocStepBuffers(maxB: number, maxM: number, d: number, hidden: number, teacher: { d: number; hidden: number; tower: TowerParams } | null, alloc: (length: number) => Float32Array): StepBuffers {
  const alloc64 = (length: number) => {
    const probe = alloc(0);
    return probe.buffer instanceof SharedArrayBuffer ? new Float64Array(new SharedArrayBuffer(length * 8)) : new Float64Array(length);
  };
  const allocInt = (length: number) => {
    const probe = alloc(0);
    return probe.buffer instanceof SharedArrayBuffer ? new Int32Array(new SharedArrayBuffer(length * 4)) : new Int32Array(length);
  };
  const tower = (t: { d: number; hidden: number }): KernelTower => ({
    d: t.d,
    hidden: t.hidden,
    w1: alloc(t.d * t.hidden),
    b1: alloc(t.hidden),
    w2: alloc(t.hidden * t.d),
    b2: alloc(t.d),
    w1T: alloc(t.d * t.hidden),
    w2T: alloc(t.hidden * t.d),
  });
  let fixed: KernelTower | null = null;
  if (teacher) {
    fixed = tower(teacher);
    setTower(fixed, teacher.tower);
  }
  return {
    maxB,
    maxM,
    tower: tower({ d, hidden }),
    pooled: alloc(maxB * d),
    rows: alloc(maxM * d),
    rowsT: alloc(maxM * d),
    offset: alloc64(maxM),
    target: allocInt(maxB),
    users: alloc(maxB * d),
    hidden: alloc(maxB * hidden),
    gUsers: alloc(maxB * d),
    gHidden: alloc(maxB * hidden),
    gPooled: alloc(maxB * d),
    loss: alloc64(maxB),
    gScoresT: alloc(maxM * maxB),
    usersT: alloc(d * maxB),
    pooledT: alloc(d * maxB),
    hiddenT: alloc(hidden * maxB),
    gUsersT: alloc(d * maxB),
    gHiddenT: alloc(hidden * maxB),
    gRows: alloc(maxM * d),
    gBias: alloc(maxM),
    gTower: { w1: alloc(d * hidden), b1: alloc(hidden), w2: alloc(hidden * d), b2: alloc(d) },
    teacher: fixed && teacher ? { tower: fixed, pooled: alloc(maxB * teacher.d), rows: alloc(maxM * teacher.d), offset: alloc64(maxM) } : null,
  };
}

/**
 * u = p + relu(p·w1 + b1)·w2 + b2 for rows [from, to) of `pooled`, into `users` (and the
 * hidden units, rounded to float32, into `hiddenOut`), `tmp` holding (to − from)·hidden.
 */
function towerForward(t: KernelTower, pooled: Float32Array, from: number, to: number, users: Float32Array, hiddenOut: Float32Array, tmp: Float32Array): void {
  const { d, hidden: h } = t;
  const rows = to - from;
  dotRows(pooled, from, to, t.w1T, h, d, tmp, h);
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < h; k++) {
      const x = tmp[i * h + k] + t.b1[k];
      hiddenOut[(from + i) * h + k] = x > 0 ? x : 0;
    }
  }
  dotRows(hiddenOut, from, to, t.w2T, d, h, tmp, d);
  for (let i = 0; i < rows; i++) {
    const b = from + i;
    for (let c = 0; c < d; c++) users[b * d + c] = pooled[b * d + c] + t.b2[c] + tmp[i * d + c];
  }
}

/** Per-thread scratch, reused between steps while its size fits. */
let scratch = new Float32Array(0);
function scratchOf(length: number): Float32Array {
  if (scratch.length < length) scratch = new Float32Array(length);
  return scratch;
}
let teacherScratch = new Float32Array(0);
let teacherUsers = new Float32Array(0);
let teacherHidden = new Float32Array(0);
let towerScratch = new Float32Array(0);

/**
 * Rows [from, to) of the batch: the tower, the scores against every candidate, the loss
 * (softmax cross-entropy on the target, mixed with cross-entropy against the teacher's
 * softened distribution times τ², each averaged over the batch) and its gradient with
 * respect to the scores, the user vectors, the hidden units and the pooled contexts.
 */
export function rowsPass(s: StepBuffers, a: StepArgs, from: number, to: number): void {
  const { B, m } = a;
  const t = s.tower;
  const { d, hidden: h } = t;
  const rows = to - from;
  if (rows <= 0) return;
  const tmpLength = rows * Math.max(h, d, s.teacher?.tower.hidden ?? 0, s.teacher?.tower.d ?? 0);
  if (towerScratch.length < tmpLength) towerScratch = new Float32Array(tmpLength);
  towerForward(t, s.pooled, from, to, s.users, s.hidden, towerScratch);
  for (let b = from; b < to; b++) {
    for (let c = 0; c < d; c++) {
      s.usersT[c * B + b] = s.users[b * d + c];
      s.pooledT[c * B + b] = s.pooled[b * d + c];
    }
    for (let k = 0; k < h; k++) s.hiddenT[k * B + b] = s.hidden[b * h + k];
  }
  const scores = scratchOf(2 * rows * m + rows * d);
  dotRows(s.users, from, to, s.rows, m, d, scores, m);
  const tch = a.distillWeight > 0 ? s.teacher : null;
  let tScores: Float32Array | null = null;
  if (tch) {
    const dT = tch.tower.d;
    if (teacherUsers.length < B * dT) teacherUsers = new Float32Array(B * dT);
    if (teacherHidden.length < B * tch.tower.hidden) teacherHidden = new Float32Array(B * tch.tower.hidden);
    towerForward(tch.tower, tch.pooled, from, to, teacherUsers, teacherHidden, towerScratch);
    if (teacherScratch.length < rows * m) teacherScratch = new Float32Array(rows * m);
    tScores = teacherScratch;
    dotRows(teacherUsers, from, to, tch.rows, m, dT, tScores, m);
  }
  const w = tch ? a.distillWeight : 0;
  const tau = a.temperature;
  const grads = scores.subarray(rows * m, 2 * rows * m);
  const expRow = new Float64Array(tch ? m : 0);
  for (let b = from; b < to; b++) {
    const o = (b - from) * m;
    const target = s.target[b];
    // Logits in doubles: score + bias − logQ.
    let max = -Infinity;
    for (let j = 0; j < m; j++) {
      const l = scores[o + j] + s.offset[j];
      if (l > max) max = l;
    }
    let sum = 0;
    for (let j = 0; j < m; j++) {
      const e = Math.exp(scores[o + j] + s.offset[j] - max);
      grads[o + j] = e;
      sum += e;
    }
    const ce = max + Math.log(sum) - (scores[o + target] + s.offset[target]);
    const cw = (1 - w) / B;
    for (let j = 0; j < m; j++) grads[o + j] *= cw / sum;
    grads[o + target] -= cw;
    let loss = (1 - w) * ce;
    if (tch && tScores) {
      // The teacher's distribution q = softmax(its logQ-corrected logits / τ) and the student's p = softmax(logits / τ).
      let tMax = -Infinity;
      let sMax = -Infinity;
      for (let j = 0; j < m; j++) {
        const tl = (tScores[o + j] + tch.offset[j]) / tau;
        if (tl > tMax) tMax = tl;
        const sl = (scores[o + j] + s.offset[j]) / tau;
        if (sl > sMax) sMax = sl;
      }
      let tSum = 0;
      let sSum = 0;
      for (let j = 0; j < m; j++) {
        const te = Math.exp((tScores[o + j] + tch.offset[j]) / tau - tMax);
        tScores[o + j] = te;
        tSum += te;
        const se = Math.exp((scores[o + j] + s.offset[j]) / tau - sMax);
        expRow[j] = se;
        sSum += se;
      }
      const sLse = sMax + Math.log(sSum);
      // d/dlogit of τ²·Σ q (lse(l/τ) − l/τ) / B = τ·(p − q) / B.
      const kw = (w * tau) / B;
      let kd = 0;
      for (let j = 0; j < m; j++) {
        const q = tScores[o + j] / tSum;
        kd += q * (sLse - (scores[o + j] + s.offset[j]) / tau);
        grads[o + j] += kw * (expRow[j] / sSum - q);
      }
      loss += w * tau * tau * kd;
    }
    s.loss[b] = loss;
    for (let j = 0; j < m; j++) s.gScoresT[j * B + b] = grads[o + j];
  }
  // The user vectors' gradient: each row's score gradient times the candidate rows (rowsT: d×m).
  const gu = scores.subarray(2 * rows * m, 2 * rows * m + rows * d);
  dotRows(grads, 0, rows, s.rowsT, d, m, gu, d);
  for (let b = from; b < to; b++) {
    const o = (b - from) * d;
    for (let c = 0; c < d; c++) {
      s.gUsers[b * d + c] = gu[o + c];
      s.gUsersT[c * B + b] = gu[o + c];
    }
  }
  // Through u = p + relu(p·w1 + b1)·w2 + b2: the hidden units' gradient (relu'(x) = 1 for x > 0), then the pooled context's.
  const tmp = towerScratch;
  dotRows(s.gUsers, from, to, t.w2, h, d, tmp, h);
  for (let b = from; b < to; b++) {
    const o = (b - from) * h;
    for (let k = 0; k < h; k++) {
      const g = s.hidden[b * h + k] > 0 ? tmp[o + k] : 0;
      s.gHidden[b * h + k] = g;
      s.gHiddenT[k * B + b] = g;
    }
  }
  dotRows(s.gHidden, from, to, t.w1, d, h, tmp, d);
  for (let b = from; b < to; b++) {
    const o = (b - from) * d;
    for (let c = 0; c < d; c++) s.gPooled[b * d + c] = s.gUsers[b * d + c] + tmp[o + c];
  }
}

/** Which candidates and tower rows one thread's columns pass covers. */
export interface ColumnRanges {
  /** Candidates [from, to). */
  cand: [number, number];
  /** Rows c of w1 (and entries of b2) [from, to), of d. */
  w1: [number, number];
  /** Rows k of w2 (and entries of b1) [from, to), of hidden. */
  w2: [number, number];
}

/**
 * Sums over the batch's rows, in row order: each candidate's output-row and bias
 * gradient, and the tower's gradient (w1 = Σ pooledᵀ·gHidden, w2 = Σ hiddenᵀ·gUsers).
 */
export function columnsPass(s: StepBuffers, a: StepArgs, r: ColumnRanges): void {
  const { B } = a;
  const { d, hidden: h } = s.tower;
  const [c0, c1] = r.cand;
  if (c1 > c0) {
    dotRows(s.gScoresT, c0, c1, s.usersT, d, B, s.gRows.subarray(c0 * d), d);
    for (let j = c0; j < c1; j++) {
      let g = 0;
      for (let b = 0; b < B; b++) g += s.gScoresT[j * B + b];
      s.gBias[j] = g;
    }
  }
  const g = s.gTower;
  const [w10, w11] = r.w1;
  if (w11 > w10) {
    dotRows(s.pooledT, w10, w11, s.gHiddenT, h, B, g.w1.subarray(w10 * h), h);
    for (let c = w10; c < w11; c++) {
      let b2 = 0;
      for (let b = 0; b < B; b++) b2 += s.gUsersT[c * B + b];
      g.b2[c] = b2;
    }
  }
  const [w20, w21] = r.w2;
  if (w21 > w20) {
    dotRows(s.hiddenT, w20, w21, s.gUsersT, d, B, g.w2.subarray(w20 * d), d);
    for (let k = w20; k < w21; k++) {
      let b1 = 0;
      for (let b = 0; b < B; b++) b1 += s.gHiddenT[k * B + b];
      g.b1[k] = b1;
    }
  }
}
