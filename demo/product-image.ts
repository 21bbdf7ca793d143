/**
 * Product pictures drawn from the item's own metadata, so the demo needs no image files
 * and fetches nothing but the model: a simple shape per shop category or product noun (a
 * film poster for MovieLens genres), coloured by a hash of the item id, with the brand (or
 * the film's title) as a label. Same item → same picture, on every machine. The page uses
 * them as data: URLs, so showing an item requests nothing that names it.
 */
import type { ItemMeta } from '../src/data/types';
// With its extension: vite.config.ts imports this file too, and Vite's config loader wants it.
import { fnv1a32 } from '../src/data/fnv1a.ts';

/** Base hue and an SVG drawing (200×200 box, `F` = fill, `D` = darker accent) per shop category. */
const SHAPES: Record<string, { hue: number; draw: string }> = {
  shoes: {
    hue: 12,
    draw: '<path fill="F" d="M32 128 Q30 98 54 94 L78 92 Q92 70 112 92 Q142 100 166 108 Q180 114 176 128 Z"/><rect fill="D" x="30" y="128" width="148" height="11" rx="5"/><path stroke="D" stroke-width="3" fill="none" d="M84 96 l8 10 M94 93 l8 10 M104 92 l8 10"/>',
  },
  jackets: {
    hue: 205,
    draw: '<path fill="F" d="M72 44 L100 60 L128 44 L160 64 L152 104 L140 98 L140 162 L60 162 L60 98 L48 104 L40 64 Z"/><path stroke="D" stroke-width="4" d="M100 60 V162"/><path fill="D" d="M72 44 L100 60 L88 80 Z M128 44 L100 60 L112 80 Z"/>',
  },
  shirts: {
    hue: 170,
    draw: '<path fill="F" d="M76 44 Q100 62 124 44 L160 64 L148 92 L135 86 L135 162 L65 162 L65 86 L52 92 L40 64 Z"/><path fill="none" stroke="D" stroke-width="4" d="M76 44 Q100 70 124 44"/>',
  },
  trousers: {
    hue: 225,
    draw: '<path fill="F" d="M68 44 L132 44 L140 166 L110 166 L100 84 L90 166 L60 166 Z"/><rect fill="D" x="68" y="40" width="64" height="10" rx="2"/>',
  },
  kitchen: {
    hue: 28,
    draw: '<circle fill="D" cx="88" cy="106" r="48"/><circle fill="F" cx="88" cy="106" r="40"/><rect fill="D" x="132" y="99" width="48" height="14" rx="7"/>',
  },
  books: {
    hue: 350,
    draw: '<rect fill="F" x="62" y="38" width="80" height="124" rx="4"/><rect fill="D" x="62" y="38" width="14" height="124" rx="3"/><path stroke="#fff" stroke-opacity=".7" stroke-width="4" d="M88 66 H130 M88 78 H120"/>',
  },
  toys: {
    hue: 48,
    draw: '<rect fill="F" x="44" y="110" width="56" height="48" rx="4"/><rect fill="D" x="100" y="110" width="56" height="48" rx="4"/><rect fill="D" x="72" y="62" width="56" height="48" rx="4"/><g fill="#fff" fill-opacity=".45"><circle cx="60" cy="104" r="6"/><circle cx="84" cy="104" r="6"/><circle cx="88" cy="56" r="6"/><circle cx="112" cy="56" r="6"/><circle cx="116" cy="104" r="6"/><circle cx="140" cy="104" r="6"/></g>',
  },
  garden: {
    hue: 120,
    draw: '<ellipse fill="F" cx="80" cy="86" rx="14" ry="34" transform="rotate(-28 80 86)"/><ellipse fill="F" cx="120" cy="86" rx="14" ry="34" transform="rotate(28 120 86)"/><ellipse fill="F" cx="100" cy="74" rx="13" ry="38"/><path fill="D" d="M68 118 L132 118 L122 166 L78 166 Z"/>',
  },
  sports: {
    hue: 265,
    draw: '<circle fill="F" cx="100" cy="102" r="56"/><path fill="none" stroke="#fff" stroke-opacity=".8" stroke-width="5" d="M52 74 Q100 102 52 130 M148 74 Q100 102 148 130"/>',
  },
  beauty: {
    hue: 325,
    draw: '<rect fill="D" x="86" y="40" width="28" height="18" rx="3"/><rect fill="F" x="92" y="58" width="16" height="16"/><rect fill="F" x="70" y="74" width="60" height="90" rx="14"/><rect fill="#fff" fill-opacity=".55" x="80" y="104" width="40" height="26" rx="3"/>',
  },
  electronics: {
    hue: 190,
    draw: '<path fill="none" stroke="D" stroke-width="10" stroke-linecap="round" d="M56 118 Q56 50 100 50 Q144 50 144 118"/><rect fill="F" x="42" y="104" width="28" height="50" rx="10"/><rect fill="F" x="130" y="104" width="28" height="50" rx="10"/>',
  },
  home: {
    hue: 38,
    draw: '<path fill="F" d="M70 48 L130 48 L146 100 L54 100 Z"/><rect fill="D" x="96" y="100" width="8" height="52"/><ellipse fill="D" cx="100" cy="156" rx="32" ry="9"/>',
  },
};

/** Drawings for particular products, found by the noun in the title ("… chef knife 3"); the category's drawing otherwise. */
const NOUN_SHAPES: Record<string, string> = {
  boots: '<path fill="F" d="M62 40 H104 V112 Q150 114 162 132 L162 146 H62 Z"/><rect fill="D" x="58" y="146" width="108" height="12" rx="5"/><rect fill="D" x="62" y="40" width="42" height="10"/>',
  sandals: '<rect fill="D" x="34" y="128" width="136" height="14" rx="7"/><path fill="none" stroke="F" stroke-width="10" stroke-linecap="round" d="M60 126 Q80 96 100 126 M100 126 Q122 96 146 126"/>',
  'chef knife': '<path fill="F" d="M34 118 L128 92 Q140 90 138 104 L134 118 Z"/><rect fill="D" x="134" y="104" width="46" height="16" rx="6" transform="rotate(-8 134 104)"/>',
  kettle: '<path fill="F" d="M62 150 L70 84 Q100 66 130 84 L138 150 Z"/><path fill="none" stroke="D" stroke-width="9" d="M78 78 Q100 40 122 78"/><path fill="D" d="M136 100 L166 84 L160 96 L140 118 Z"/><rect fill="D" x="58" y="146" width="84" height="10" rx="4"/>',
  blender: '<path fill="F" fill-opacity=".8" d="M72 44 H128 L120 120 H80 Z"/><rect fill="D" x="70" y="38" width="60" height="10" rx="3"/><rect fill="D" x="68" y="120" width="64" height="42" rx="8"/><circle fill="#fff" cx="100" cy="141" r="7"/>',
  'mixing bowl': '<path fill="F" d="M40 96 H160 Q156 156 100 158 Q44 156 40 96 Z"/><rect fill="D" x="34" y="90" width="132" height="10" rx="5"/>',
  'plush bear': '<circle fill="F" cx="70" cy="62" r="16"/><circle fill="F" cx="130" cy="62" r="16"/><circle fill="F" cx="100" cy="84" r="36"/><ellipse fill="F" cx="100" cy="146" rx="40" ry="30"/><ellipse fill="D" cx="100" cy="94" rx="12" ry="9"/><circle fill="D" cx="86" cy="76" r="4"/><circle fill="D" cx="114" cy="76" r="4"/>',
  puzzle: '<path fill="F" d="M52 60 H88 Q84 40 100 40 Q116 40 112 60 H148 V96 Q168 92 168 108 Q168 124 148 120 V156 H52 Z"/><path fill="none" stroke="D" stroke-width="4" d="M100 60 V156 M52 108 H148"/>',
  'board game': '<rect fill="F" x="46" y="52" width="108" height="108" rx="6"/><g fill="D"><rect x="60" y="66" width="20" height="20"/><rect x="100" y="66" width="20" height="20"/><rect x="80" y="86" width="20" height="20"/><rect x="120" y="86" width="20" height="20"/><rect x="60" y="106" width="20" height="20"/><rect x="100" y="106" width="20" height="20"/><rect x="80" y="126" width="20" height="20"/><rect x="120" y="126" width="20" height="20"/></g>',
  hose: '<g fill="none" stroke="F" stroke-width="9"><circle cx="100" cy="104" r="50"/><circle cx="100" cy="104" r="34"/><circle cx="100" cy="104" r="18"/></g><rect fill="D" x="140" y="140" width="30" height="12" rx="4"/>',
  pruner: '<path fill="none" stroke="D" stroke-width="12" stroke-linecap="round" d="M100 100 L60 160 M100 100 L140 160"/><path fill="F" d="M100 100 L76 44 Q92 40 104 92 Z M100 100 L124 44 Q108 40 96 92 Z"/><circle fill="#fff" cx="100" cy="100" r="5"/>',
  'lawn chair': '<path fill="none" stroke="D" stroke-width="7" stroke-linecap="round" d="M60 164 L130 60 M140 164 L80 104 M60 120 H150"/><path fill="F" d="M118 52 L146 60 L98 126 L72 118 Z"/>',
  'yoga mat': '<rect fill="F" x="40" y="110" width="120" height="40" rx="4"/><circle fill="D" cx="150" cy="96" r="30"/><circle fill="F" cx="150" cy="96" r="18"/>',
  'tennis racket': '<ellipse fill="none" stroke="F" stroke-width="10" cx="100" cy="78" rx="38" ry="46"/><path stroke="D" stroke-width="2" d="M80 50 V106 M100 34 V122 M120 50 V106 M66 66 H134 M62 88 H138 M70 108 H130"/><rect fill="D" x="94" y="124" width="12" height="46" rx="5"/>',
  dumbbells: '<rect fill="D" x="60" y="96" width="80" height="12" rx="4"/><rect fill="F" x="40" y="70" width="22" height="64" rx="5"/><rect fill="F" x="138" y="70" width="22" height="64" rx="5"/><rect fill="F" x="26" y="82" width="14" height="40" rx="4"/><rect fill="F" x="160" y="82" width="14" height="40" rx="4"/>',
  'face cream': '<rect fill="D" x="54" y="78" width="92" height="26" rx="6"/><rect fill="F" x="58" y="102" width="84" height="56" rx="10"/><rect fill="#fff" fill-opacity=".55" x="74" y="118" width="52" height="22" rx="3"/>',
  'lip balm': '<rect fill="D" x="86" y="36" width="28" height="52" rx="12"/><rect fill="F" x="80" y="84" width="40" height="80" rx="6"/><rect fill="#fff" fill-opacity=".5" x="88" y="110" width="24" height="30" rx="2"/>',
  perfume: '<rect fill="D" x="88" y="44" width="24" height="24" rx="4"/><rect fill="F" x="94" y="66" width="12" height="10"/><rect fill="F" x="56" y="76" width="88" height="86" rx="22"/><circle fill="#fff" fill-opacity=".4" cx="100" cy="119" r="20"/>',
  charger: '<rect fill="F" x="64" y="66" width="72" height="74" rx="12"/><rect fill="D" x="82" y="44" width="10" height="24"/><rect fill="D" x="108" y="44" width="10" height="24"/><path fill="none" stroke="D" stroke-width="6" d="M100 140 Q100 170 140 168"/>',
  speaker: '<rect fill="F" x="58" y="40" width="84" height="124" rx="12"/><circle fill="D" cx="100" cy="120" r="28"/><circle fill="F" cx="100" cy="120" r="10"/><circle fill="D" cx="100" cy="70" r="13"/>',
  smartwatch: '<rect fill="D" x="80" y="36" width="40" height="130" rx="10"/><rect fill="F" x="66" y="70" width="68" height="62" rx="14"/><rect fill="#fff" fill-opacity=".35" x="76" y="80" width="48" height="42" rx="8"/>',
  cushion: '<path fill="F" d="M50 58 Q100 70 150 58 Q140 104 150 150 Q100 138 50 150 Q60 104 50 58 Z"/><circle fill="D" cx="100" cy="104" r="6"/>',
  rug: '<rect fill="F" x="44" y="56" width="112" height="96"/><rect fill="none" stroke="D" stroke-width="5" x="56" y="68" width="88" height="72"/><path fill="D" d="M100 82 L118 104 L100 126 L82 104 Z"/><path stroke="D" stroke-width="3" d="M48 52 V46 M60 52 V46 M72 52 V46 M84 52 V46 M96 52 V46 M108 52 V46 M120 52 V46 M132 52 V46 M144 52 V46 M152 52 V46 M48 156 V162 M60 156 V162 M72 156 V162 M84 156 V162 M96 156 V162 M108 156 V162 M120 156 V162 M132 156 V162 M144 156 V162 M152 156 V162"/>',
  candle: '<rect fill="F" x="72" y="86" width="56" height="76" rx="6"/><path fill="D" d="M100 50 Q112 66 100 78 Q88 66 100 50 Z"/><rect fill="D" x="98" y="76" width="4" height="10"/>',
  'polo': '<path fill="F" d="M76 44 L100 56 L124 44 L160 64 L148 92 L135 86 L135 162 L65 162 L65 86 L52 92 L40 64 Z"/><path fill="D" d="M76 44 L100 56 L88 70 Z M124 44 L100 56 L112 70 Z"/><circle fill="D" cx="100" cy="76" r="3"/><circle fill="D" cx="100" cy="90" r="3"/>',
};

/** A default drawing for categories the table does not know (another catalogue). */
const GENERIC = {
  hue: 0,
  draw: '<rect fill="F" x="52" y="62" width="96" height="96" rx="10"/><path fill="D" d="M52 92 H148 V104 H52 Z M94 62 H106 V158 H94 Z"/>',
};

const MOVIE_GENRE_HUES: Record<string, number> = {
  Action: 8, Adventure: 30, Animation: 50, Children: 80, Comedy: 45, Crime: 0, Documentary: 140, Drama: 220,
  Fantasy: 280, 'Film-Noir': 230, Horror: 350, IMAX: 200, Musical: 310, Mystery: 250, Romance: 335, 'Sci-Fi': 185,
  Thriller: 260, War: 100, Western: 25,
};

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Words wrapped into at most `maxLines` lines of about `width` characters (the last one ellipsised). */
function wrap(text: string, width: number, maxLines: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && (line + ' ' + word).length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  if (lines.length > maxLines) {
    lines.length = maxLines;
    lines[maxLines - 1] = lines[maxLines - 1].slice(0, width - 1) + '…';
  }
  return lines;
}


function productSvg(item: ItemMeta, hash: number): string {
  const shape = SHAPES[item.categories[0] ?? ''] ?? { ...GENERIC, hue: hash % 360 };
  const noun = Object.keys(NOUN_SHAPES).find((k) => item.title.includes(` ${k} `) || item.title.endsWith(` ${k}`));
  const draw = noun ? NOUN_SHAPES[noun] : shape.draw;
  const hue = (shape.hue + ((hash >>> 8) % 36) - 18 + 360) % 360;
  const sat = 45 + ((hash >>> 16) % 20);
  const fill = `hsl(${hue} ${sat}% 58%)`;
  const dark = `hsl(${hue} ${sat}% 36%)`;
  const label = escapeXml((item.brand ?? item.categories[0] ?? '').toUpperCase());
  return [
    `<rect width="200" height="200" fill="hsl(${hue} 35% 95%)"/>`,
    `<circle cx="100" cy="102" r="74" fill="hsl(${hue} 40% 88%)"/>`,
    draw.replaceAll('"F"', `"${fill}"`).replaceAll('"D"', `"${dark}"`),
    `<text x="100" y="188" text-anchor="middle" font-family="sans-serif" font-size="11" letter-spacing="2" fill="${dark}">${label}</text>`,
  ].join('');
}

function posterSvg(item: ItemMeta, hash: number): string {
  const genre = item.categories[0] ?? '';
  const hue = ((MOVIE_GENRE_HUES[genre] ?? hash % 360) + ((hash >>> 8) % 40) - 20 + 360) % 360;
  const year = /\((\d{4})\)\s*$/.exec(item.title)?.[1] ?? '';
  // MovieLens files sort titles by moving the article to the end: "Matrix, The".
  const name = item.title.replace(/\s*\(\d{4}\)\s*$/, '').replace(/^(.*), (The|A|An|Les|La|Le|Il|Das|Die|Der)$/, '$2 $1');
  const lines = wrap(name, 14, 4);
  const top = 118 - lines.length * 11;
  const text = lines.map((l, i) => `<tspan x="100" y="${top + i * 22}">${escapeXml(l)}</tspan>`).join('');
  const cx = 40 + (hash % 120);
  return [
    `<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="hsl(${hue} 55% 30%)"/><stop offset="1" stop-color="hsl(${hue} 50% 12%)"/></linearGradient></defs>`,
    '<rect width="200" height="200" fill="url(#g)"/>',
    `<circle cx="${cx}" cy="44" r="30" fill="hsl(${(hue + 30) % 360} 70% 60%)" fill-opacity=".35"/>`,
    `<text text-anchor="middle" font-family="serif" font-weight="bold" font-size="19" fill="#fff">${text}</text>`,
    `<text x="100" y="184" text-anchor="middle" font-family="sans-serif" font-size="11" letter-spacing="2" fill="hsl(${hue} 40% 80%)">${escapeXml(`${genre.toUpperCase()} ${year}`.trim())}</text>`,
  ].join('');
}

/** The item's picture as an SVG document: a film poster when the catalogue is MovieLens, a product shot otherwise. */
function productSvgDocument(item: ItemMeta, style: 'product' | 'poster'): string {
  const hash = fnv1a32(item.id);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200">${style === 'poster' ? posterSvg(item, hash) : productSvg(item, hash)}</svg>`;
}

/** The item's picture as a data: URL. */
export function productImage(item: ItemMeta, style: 'product' | 'poster'): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(productSvgDocument(item, style))}`;
}
