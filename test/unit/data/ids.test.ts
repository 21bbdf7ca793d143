import { describe, expect, it } from 'vitest';
import { validateEvents } from '../../../src/browser/schemas';
import { parseEventsText } from '../../../src/data/events-file';
import { MAX_ITEM_ID_LENGTH, normaliseId } from '../../../src/data/ids';
import { createRng } from '../../../src/data/random';
import { timestampProblem, TIMESTAMP_WINDOW } from '../../../src/data/timestamps';

const NOW = Date.UTC(2026, 0, 1);
const TS = Date.UTC(2025, 5, 1);

/** The id the SDK stores for `item`, or null when track() refuses it. */
function sdkId(item: string): string | null {
  try {
    return validateEvents([{ item, type: 'view', ts: TS }], NOW)[0].item;
  } catch {
    return null;
  }
}

/** The id the trainer learns for `item` (as a JSONL value, which can carry any string), or null when it refuses the row. */
function trainerId(item: string): string | null {
  const { dataset } = parseEventsText(JSON.stringify({ user: 'u', item, type: 'view', timestamp: TS }), 'jsonl');
  return dataset.interactions[0]?.item ?? null;
}

const CASES: [string, string | null][] = [
  ['p1', 'p1'],
  ['  p1 ', 'p1'],
  ['   ', null],
  ['', null],
  ['a\u0000b', null],
  ['a\nb', null],
  ['a\tb', null],
  ['\u007f', null],
  ['x'.repeat(MAX_ITEM_ID_LENGTH), 'x'.repeat(MAX_ITEM_ID_LENGTH)],
  ['x'.repeat(MAX_ITEM_ID_LENGTH + 1), null],
  [` ${'x'.repeat(MAX_ITEM_ID_LENGTH)} `, 'x'.repeat(MAX_ITEM_ID_LENGTH)],
  ['商品-42', '商品-42'],
  ['(not set)', null],
  [' (not set) ', null],
  ['\u200b', null],
  [' \u200b\u200c\u200d\u2060 ', null],
  ['a\u200bb', 'a\u200bb'],
];

describe('one id rule for the SDK and the trainer', () => {
  it.each(CASES)('%j → %j in track(), in the trainer and in normaliseId', (raw, expected) => {
    expect(normaliseId(raw) ?? null).toBe(expected);
    expect(sdkId(raw)).toBe(expected);
    expect(trainerId(raw)).toBe(expected);
  });

  it('agrees on 2,000 random strings drawn from printable, space and control characters', () => {
    const rng = createRng(25);
    const alphabet = ['a', 'Z', '7', ' ', '\t', '\n', '\r', '\u0000', '\u001f', '\u007f', 'é', '\u00a0', '-', '"', '\u200b', '\u2060'];
    let accepted = 0;
    for (let n = 0; n < 2000; n++) {
      const len = rng.int(6);
      const raw = Array.from({ length: len }, () => rng.pick(alphabet)).join('');
      const sdk = sdkId(raw);
      expect(trainerId(raw), JSON.stringify(raw)).toBe(sdk);
      if (sdk !== null) accepted++;
    }
    // Both sides of the rule are exercised, or the agreement would say nothing.
    expect(accepted).toBeGreaterThan(100);
    expect(accepted).toBeLessThan(1900);
  });
});

describe('one timestamp window for the SDK and the trainer', () => {
  const cases: [string, number, boolean][] = [
    ['seconds read as milliseconds', 1_700_000_000, false],
    ['the window start', TIMESTAMP_WINDOW.earliestMs, true],
    ['a day before it', TIMESTAMP_WINDOW.earliestMs - 86_400_000, false],
    ['now', NOW, true],
    ['within the future slack', NOW + TIMESTAMP_WINDOW.futureSlackMs, true],
    ['beyond it', NOW + TIMESTAMP_WINDOW.futureSlackMs + 1, false],
  ];
  it.each(cases)('%s: track() and the trainer agree', (_name, ms, ok) => {
    expect(timestampProblem(ms, NOW) === undefined).toBe(ok);
    let sdk = true;
    try {
      validateEvents([{ item: 'a', type: 'view', ts: ms }], NOW);
    } catch {
      sdk = false;
    }
    expect(sdk).toBe(ok);
  });
});
