/**
 * The training benchmark's chart: total seconds and peak memory against interactions, one
 * line per thread count, log–log axes. Plain SVG text, no dependency, so the README can
 * show it as an image.
 */
export interface ScaleChartRow {
  interactions: number;
  threads: number;
  seconds: { total: number };
  peakRssBytes: number;
}

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b'];
const PANEL = { w: 360, h: 260, left: 60, top: 36, right: 16, bottom: 44 };

function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) for (const m of [1, 2, 5]) ticks.push(m * 10 ** e);
  return ticks.filter((t) => t >= lo * 0.999 && t <= hi * 1.001);
}

const short = (v: number) => (v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}k` : String(v));

function panel(rows: readonly ScaleChartRow[], value: (r: ScaleChartRow) => number, title: string, unit: string, x0: number): string {
  const pts = rows.filter((r) => value(r) > 0);
  if (!pts.length) return '';
  const xs = pts.map((r) => r.interactions);
  const ys = pts.map(value);
  const xLo = 10 ** Math.floor(Math.log10(Math.min(...xs)));
  const xHi = 10 ** Math.ceil(Math.log10(Math.max(...xs) * 1.01));
  const yLo = 10 ** Math.floor(Math.log10(Math.min(...ys)));
  const yHi = 10 ** Math.ceil(Math.log10(Math.max(...ys) * 1.01));
  const pw = PANEL.w - PANEL.left - PANEL.right;
  const ph = PANEL.h - PANEL.top - PANEL.bottom;
  const x = (v: number) => x0 + PANEL.left + ((Math.log10(v) - Math.log10(xLo)) / (Math.log10(xHi) - Math.log10(xLo))) * pw;
  const y = (v: number) => PANEL.top + ph - ((Math.log10(v) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * ph;
  const out = [
    `<text x="${x0 + PANEL.left + pw / 2}" y="20" text-anchor="middle" font-weight="bold">${title}</text>`,
    `<rect x="${x0 + PANEL.left}" y="${PANEL.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
  ];
  for (const t of logTicks(yLo, yHi)) {
    out.push(`<line x1="${x0 + PANEL.left}" x2="${x0 + PANEL.left + pw}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/>`);
    out.push(`<text x="${x0 + PANEL.left - 4}" y="${y(t) + 4}" text-anchor="end">${short(t)}</text>`);
  }
  for (const t of logTicks(xLo, xHi)) out.push(`<text x="${x(t)}" y="${PANEL.top + ph + 16}" text-anchor="middle">${short(t)}</text>`);
  out.push(`<text x="${x0 + PANEL.left + pw / 2}" y="${PANEL.h - 8}" text-anchor="middle">interactions</text>`);
  out.push(`<text transform="translate(${x0 + 14},${PANEL.top + ph / 2}) rotate(-90)" text-anchor="middle">${unit} (log)</text>`);
  const counts = [...new Set(pts.map((r) => r.threads))].sort((a, b) => a - b);
  counts.forEach((threads, i) => {
    const line = pts.filter((r) => r.threads === threads).sort((a, b) => a.interactions - b.interactions);
    const colour = COLOURS[i % COLOURS.length];
    out.push(`<path d="${line.map((r, j) => `${j ? 'L' : 'M'}${x(r.interactions).toFixed(1)},${y(value(r)).toFixed(1)}`).join(' ')}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const r of line) out.push(`<circle cx="${x(r.interactions).toFixed(1)}" cy="${y(value(r)).toFixed(1)}" r="3" fill="${colour}"><title>${threads} threads, ${r.interactions} interactions: ${value(r).toFixed(1)} ${unit}</title></circle>`);
    out.push(`<text x="${x0 + PANEL.left + 8}" y="${PANEL.top + 16 + 14 * i}" fill="${colour}">${threads} thread${threads === 1 ? '' : 's'}</text>`);
  });
  return out.join('\n');
}

export function trainScaleChart(rows: readonly ScaleChartRow[]): string {
  const body = [
    panel(rows, (r) => r.seconds.total, 'Training time (whole pipeline)', 'seconds', 0),
    panel(rows, (r) => r.peakRssBytes / 2 ** 20, 'Peak memory (RSS)', 'MiB', PANEL.w),
  ].join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * PANEL.w}" height="${PANEL.h}" font-family="sans-serif" font-size="11">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}
