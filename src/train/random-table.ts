/** rows × cols table of independent normal draws times `scale`, drawn row-major. */
export function randomTable(rows: number, cols: number, scale: number, normal: () => number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let i = 0; i < t.length; i++) t[i] = normal() * scale;
  return t;
}
