/**
 * Per-row symmetric int8 quantisation of an item table: row i is stored as int8 values
 * q and one float32 scale s_i = max|row_i| / 127, so value ≈ q · s_i and the error of
 * any entry is at most s_i / 2.
 */
export interface QuantisedRows {
  q: Int8Array;
  scale: Float32Array;
}

export function quantiseRows(table: Float32Array, rows: number, cols: number): QuantisedRows {
  const q = new Int8Array(rows * cols);
  const scale = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    const base = r * cols;
    for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(table[base + c]));
    const s = max > 0 ? max / 127 : 1;
    scale[r] = s;
    for (let c = 0; c < cols; c++) q[base + c] = Math.max(-127, Math.min(127, Math.round(table[base + c] / s)));
  }
  return { q, scale };
}

export function dequantiseRows({ q, scale }: QuantisedRows, cols: number): Float32Array {
  const out = new Float32Array(q.length);
  for (let r = 0; r < scale.length; r++) {
    const s = scale[r];
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[base + c] = q[base + c] * s;
  }
  return out;
}
