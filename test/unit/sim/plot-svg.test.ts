import { describe, expect, it } from 'vitest';
import { lineChartSvg } from '../../../src/sim/plot-svg';

describe('lineChartSvg', () => {
  const svg = lineChartSvg(
    [
      { title: 'full', series: [{ name: 'a<b', color: '#f00', points: [{ x: 0, y: 0.2 }, { x: 10, y: 0.3 }] }, { name: 'ref', color: '#0f0', dashed: true, points: [{ x: 0, y: 0.25 }, { x: 10, y: 0.25 }] }] },
      { title: 'next 10', series: [{ name: 'a<b', color: '#f00', points: [{ x: 0, y: 0.1 }, { x: 10, y: 0.15 }] }] },
    ],
    'round',
  );

  it('draws one path per series in every panel, the reference dashed', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<path /g)).toHaveLength(3);
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(2); // the dashed path and its legend line
  });

  it('escapes names and puts both panels side by side', () => {
    expect(svg).toContain('a&lt;b');
    expect(svg).not.toContain('a<b');
    expect(svg).toContain('width="840"');
  });
});
