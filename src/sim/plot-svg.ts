/**
 * A small line chart as SVG text: NDCG@10 against rounds, one panel per view, lines for
 * the federated runs and dashed levels for the reference models. No plotting dependency.
 */
export interface Series {
  name: string;
  points: { x: number; y: number }[];
  color: string;
  /** Drawn dashed (a reference level). */
  dashed?: boolean;
}

export interface Panel {
  title: string;
  series: Series[];
}

const W = 420;
const H = 300;
const M = { left: 56, right: 12, top: 28, bottom: 40 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(3));

/** Round-number ticks covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const step = [1, 2, 2.5, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(raw))).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-12; t += step) out.push(Number(t.toPrecision(10)));
  return out;
}

function panel(p: Panel, xLabel: string, offsetX: number): string {
  const pts = p.series.flatMap((s) => s.points);
  const xs = pts.map((q) => q.x);
  const ys = pts.map((q) => q.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const pad = (y1 - y0) * 0.08 || 0.01;
  y0 -= pad;
  y1 += pad;
  const px = (x: number) => offsetX + M.left + ((x - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const py = (y: number) => M.top + (1 - (y - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const out: string[] = [];
  out.push(`<text x="${offsetX + W / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
  out.push(`<rect x="${offsetX + M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#999"/>`);
  for (const t of ticks(y0, y1)) {
    out.push(`<line x1="${offsetX + M.left - 4}" x2="${offsetX + W - M.right}" y1="${py(t)}" y2="${py(t)}" stroke="#eee"/>`);
    out.push(`<text x="${offsetX + M.left - 6}" y="${py(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of ticks(x0, x1)) out.push(`<text x="${px(t)}" y="${H - M.bottom + 16}" text-anchor="middle">${fmt(t)}</text>`);
  out.push(`<text x="${offsetX + M.left + (W - M.left - M.right) / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>`);
  for (const s of p.series) {
    const d = s.points.map((q, i) => `${i ? 'L' : 'M'}${px(q.x).toFixed(1)},${py(q.y).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
  }
  return out.join('\n');
}

/** Panels side by side with one shared legend below. */
export function lineChartSvg(panels: readonly Panel[], xLabel: string): string {
  const legend = panels[0]?.series ?? [];
  const width = W * panels.length;
  const height = H + 20 + 18 * Math.ceil(legend.length / 3);
  const items = legend.map((s, i) => {
    const x = 20 + (i % 3) * (width / 3);
    const y = H + 18 + 18 * Math.floor(i / 3);
    return `<line x1="${x}" x2="${x + 24}" y1="${y - 4}" y2="${y - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/><text x="${x + 30}" y="${y}">${esc(s.name)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...panels.map((p, i) => panel(p, xLabel, i * W)),
    ...items,
    '</svg>',
    '',
  ].join('\n');
}
