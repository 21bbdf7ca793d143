import { describe, expect, it } from 'vitest';
import { parseEventsText } from '../../../src/data/events-file';
import { buildTrainingData } from '../../../src/data/split';
import { dataWarnings, ingestionLines, MIN_KEPT_SHARE, nextSteps, stageLine, trainingWarnings } from '../../../src/cli/ingest-summary';

const T = Date.UTC(2024, 2, 1);
const ga4 = (name: string, user: string, items: string[], minutes: number) =>
  JSON.stringify({ event_timestamp: String((T + minutes * 60_000) * 1000), event_name: name, user_pseudo_id: user, items: items.map((id) => ({ item_id: id, item_name: `Item ${id}`, item_category: 'Shoes' })) });

function run(lines: string[]) {
  const ingest = parseEventsText(lines.join('\n'), 'jsonl', { name: 'export', now: T + 86_400_000 * 30 });
  const train = buildTrainingData(ingest.dataset);
  return { ingest, facts: { users: train.users.length, items: train.catalogue.ids.length, interactions: train.nInteractions } };
}

describe('the ingestion summary', () => {
  it('says what happened to every row: kept per type, skipped by event name and for no item, merged, span, metadata', () => {
    const { ingest, facts } = run([
      ga4('session_start', 'a', [], 0),
      ga4('page_view', 'a', [], 1),
      ga4('select_item', 'a', ['p1'], 2),
      ga4('view_item', 'a', ['p1'], 3),
      ga4('view_item', 'a', [], 4),
      ga4('purchase', 'b', ['p1', 'p2'], 5),
      '{"event_name": "purchase", broken',
    ]);
    const text = ingestionLines(ingest.dataset, ingest.summary, facts).join('\n');
    expect(text).toContain('read export: 7 rows');
    expect(text).toContain('kept 4 interactions: 2 view, 2 purchase');
    expect(text).toContain('skipped 2 rows of events that are not shopping interactions: page_view 1, session_start 1');
    expect(text).toContain('skipped 1 interaction rows that name no item: view_item 1');
    expect(text).toContain('skipped 1 malformed rows');
    expect(text).toContain('merged 1 repeated user–item interactions');
    expect(text).toContain('2 users, 2 items, 3 interactions from 2024-03-01 to 2024-03-01');
    expect(text).toContain("item metadata from the export's items[]: 2 of 2 items have a title, 2 categories");
  });

  it('warns when no item has a title or categories, and not when they do', () => {
    const bare = run([JSON.stringify({ user: 'a', item: 'p1', type: 'view', timestamp: T }), JSON.stringify({ user: 'a', item: 'p2', type: 'view', timestamp: T + 1 })]);
    expect(dataWarnings(bare.ingest.summary, bare.facts).join('\n')).toMatch(/no item has a title or categories/);
    const rich = run([ga4('view_item', 'a', ['p1'], 0), ga4('view_item', 'a', ['p2'], 1)]);
    expect(dataWarnings(rich.ingest.summary, rich.facts)).toEqual([]);
  });
});

describe('training messages', () => {
  it.each([
    ['relative', 1.2345, 'validation 1.23× popularity'],
    ['full', 0.2345, 'validation NDCG@10 0.2345'],
    ['next', 0.1, 'validation NDCG@10 0.1000'],
  ] as const)('labels a %s validation score as %s', (view, value, expected) => {
    expect(stageLine('student', { seconds: 12.34, bestEpoch: 3, validationNdcg10: value, history: [] }, view)).toBe(`student done: 12.3 s, best at epoch 3, ${expected}`);
  });

  const report = (teacher: number, meta: number, extra: Record<string, unknown> = {}) => ({
    teacher: { validationNdcg10: teacher, history: [{ validation: 1 }, { validation: 1.1 }] },
    student: { validationNdcg10: meta, history: [{ validation: 1 }, { validation: 1.1 }] },
    meta: { validationNdcg10: meta, bestStep: 40 },
    ...extra,
  });

  it.each([
    // Measured cases (see MIN_KEPT_SHARE): GA4 CSV without metadata, with it, the synthetic shop.
    [2.27, 1.25, true],
    [2.61, 2.53, false],
    [1.185, 1.298, false],
    [1, MIN_KEPT_SHARE - 0.01, true],
  ])('teacher %s×, shipped %s×: warns %s that the student keeps too little', (teacher, shipped, warns) => {
    const w = trainingWarnings(report(teacher, shipped), 'relative');
    expect(w.some((l) => l.includes("keeps") && l.includes('teacher'))).toBe(warns);
  });

  it('warns when a stage never improves on its start', () => {
    const w = trainingWarnings({ ...report(2, 2), student: { validationNdcg10: 1, history: [{ validation: 1.2 }, { validation: 1.1 }, { validation: 1 }] }, meta: { validationNdcg10: 2, bestStep: 0 } }, 'relative');
    expect(w.join('\n')).toMatch(/student never improved on its first validation score \(1\.20× popularity\)/);
    expect(w.join('\n')).toMatch(/meta-training never improved/);
    expect(trainingWarnings(report(2, 2), 'relative')).toEqual([]);
  });

  it('prints the next step: the demo with ?model=, the script tag, the npm call and consent', () => {
    const text = nextSteps('/x/public/models/myshop', 'myshop', true).join('\n');
    expect(text).toContain('?model=/models/myshop/manifest.json');
    expect(text).toContain('data-localrec-model="models/myshop/manifest.json"');
    expect(text).toContain("createLocalrec({ model: '/models/myshop/manifest.json' })");
    expect(text).toContain("setConsent', 'granted'");
    expect(nextSteps('/elsewhere/m', 'm', false).join('\n')).toContain('copy /elsewhere/m to public/models/m');
  });
});
