import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ItemMeta } from '../../../src/data/types';
import { safeUrl } from '../../../src/browser/safe-url';
import { rankRecommendations } from '../../../src/browser/worker-recommend';

const HOSTILE = [
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  ' javascript:alert(1)',
  '\u0000javascript:alert(1)',
  'java\tscript:alert(1)',
  'java\nscript:alert(1)',
  'vbscript:msgbox(1)',
  'data:text/html,<script>alert(1)</script>',
  'file:///etc/passwd',
  'blob:https://shop.example/1234',
];

describe('the safe-URL rule', () => {
  it.each(HOSTILE)('refuses %j as a link and as an image', (url) => {
    expect(safeUrl(url)).toBeNull();
    expect(safeUrl(url, true)).toBeNull();
  });

  it.each(['https://shop.example/p/1', 'http://shop.example/p/1', '/p/1', 'p/1?x=1#y', '#/a', '//cdn.example/a.png'])('keeps %j', (url) => {
    expect(safeUrl(url)).toBe(url);
  });

  it('keeps inline images only as images', () => {
    expect(safeUrl('data:image/png;base64,AAAA', true)).toBe('data:image/png;base64,AAAA');
    expect(safeUrl('data:image/png;base64,AAAA')).toBeNull();
  });

  it('for any string, gives null or a URL a browser resolves to http(s)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl(), fc.constantFrom(...HOSTILE).map((u) => u.toUpperCase())), (url) => {
        const out = safeUrl(url);
        if (out !== null) expect(new URL(out, 'https://shop.example/dir/').protocol).toMatch(/^https?:$/);
      }),
      { numRuns: 2000 },
    );
  });

  it('recommend() results never carry a URL the rule refuses (items.json is not trusted)', () => {
    const items: ItemMeta[] = HOSTILE.map((url, i) => ({ id: `p${i}`, title: `P${i}`, categories: [], url, image: url }));
    items.push({ id: 'ok', title: 'OK', categories: [], url: '/p/ok', image: 'data:image/png;base64,AAAA' });
    const recs = rankRecommendations(new Float32Array(items.length).fill(1), items, new Uint8Array(items.length).fill(1), items.length);
    expect(recs.filter((r) => r.url !== undefined || r.image !== undefined).map((r) => [r.id, r.url, r.image])).toEqual([['ok', '/p/ok', 'data:image/png;base64,AAAA']]);
  });
});
