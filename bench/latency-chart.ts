/**
 * The browser benchmark's chart: latency against catalogue size, one line per backend,
 * two panels (recommend() p50 and 5 personalisation steps), log–log axes. Plain SVG text,
 * no dependency, so the README can show it as an image.
 */
export interface ChartRow {
  items: number;
  backend: string;
  recommendP50Ms: number | null;
  steps5MedianMs: number | null;
}

const COLOURS: Record<string, string> = { plain: '#111111', wasm: '#1f77b4', cpu: '#ff7f0e', webgl: '#2ca02c', webgpu: '#9467bd' };
const PANEL = { w: 360, h: 260, left: 56, top: 36, right: 16, bottom: 44 };

const esc = (s: string) => s.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);

function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) for (const m of [1, 2, 5]) ticks.push(m * 10 ** e);
  return ticks.filter((t) => t >= lo * 0.999 && t <= hi * 1.001);
}

function panel(rows: readonly ChartRow[], key: 'recommendP50Ms' | 'steps5MedianMs', title: string, x0: number, target?: { items: number; ms: number }[]): string {
  const pts = rows.filter((r) => r[key] !== null && r[key]! > 0);
  const sizes = [...new Set(rows.map((r) => r.items))].sort((a, b) => a - b);
  const values = [...pts.map((r) => r[key]!), ...(target ?? []).map((t) => t.ms)];
  const yLo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const yHi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const xLo = sizes[0] / 1.5;
  const xHi = sizes[sizes.length - 1] * 1.5;
  const pw = PANEL.w - PANEL.left - PANEL.right;
  const ph = PANEL.h - PANEL.top - PANEL.bottom;
  const x = (v: number) => x0 + PANEL.left + ((Math.log10(v) - Math.log10(xLo)) / (Math.log10(xHi) - Math.log10(xLo))) * pw;
  const y = (v: number) => PANEL.top + ph - ((Math.log10(v) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * ph;
  const out: string[] = [];
  out.push(`<text x="${x0 + PANEL.left + pw / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(title)}</text>`);
  out.push(`<rect x="${x0 + PANEL.left}" y="${PANEL.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (const t of logTicks(yLo, yHi)) {
    out.push(`<line x1="${x0 + PANEL.left}" x2="${x0 + PANEL.left + pw}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/>`);
    out.push(`<text x="${x0 + PANEL.left - 4}" y="${y(t) + 4}" text-anchor="end">${t}</text>`);
  }
  for (const s of sizes) out.push(`<text x="${x(s)}" y="${PANEL.top + ph + 16}" text-anchor="middle">${s >= 1000 ? `${s / 1000}k` : s}</text>`);
  out.push(`<text x="${x0 + PANEL.left + pw / 2}" y="${PANEL.h - 8}" text-anchor="middle">catalogue items</text>`);
  out.push(`<text transform="translate(${x0 + 14},${PANEL.top + ph / 2}) rotate(-90)" text-anchor="middle">ms (log)</text>`);
  if (target) {
    const d = target.map((t, i) => `${i ? 'L' : 'M'}${x(t.items).toFixed(1)},${y(t.ms).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="#d62728" stroke-dasharray="4 3"/>`);
  }
  for (const backend of [...new Set(pts.map((r) => r.backend))]) {
    const line = pts.filter((r) => r.backend === backend).sort((a, b) => a.items - b.items);
    const colour = COLOURS[backend] ?? '#777';
    const d = line.map((r, i) => `${i ? 'L' : 'M'}${x(r.items).toFixed(1)},${y(r[key]!).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const r of line) out.push(`<circle cx="${x(r.items).toFixed(1)}" cy="${y(r[key]!).toFixed(1)}" r="3" fill="${colour}"><title>${esc(`${backend}, ${r.items} items: ${r[key]} ms`)}</title></circle>`);
  }
  return out.join('\n');
}

/** The whole chart: both panels side by side and a legend (dashed red: the issue's targets). */
export function latencyChart(rows: readonly ChartRow[], targets: { recommend: { items: number; ms: number }[]; steps: { items: number; ms: number }[] }): string {
  const backends = [...new Set(rows.map((r) => r.backend))];
  const width = 2 * PANEL.w;
  const height = PANEL.h + 28;
  const legend = [...backends.map((b) => [b, COLOURS[b] ?? '#777', ''] as const), ['target', '#d62728', '4 3'] as const]
    .map(([name, colour, dash], i) => {
      const lx = 20 + i * 110;
      return `<line x1="${lx}" x2="${lx + 24}" y1="${height - 10}" y2="${height - 10}" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/><text x="${lx + 30}" y="${height - 6}">${esc(name)}</text>`;
    })
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    panel(rows, 'recommendP50Ms', 'recommend() p50, page round trip', 0, targets.recommend),
    panel(rows, 'steps5MedianMs', '5 personalisation steps, median', PANEL.w, targets.steps),
    legend,
    '</svg>',
    '',
  ].join('\n');
}
