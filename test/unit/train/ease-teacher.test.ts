import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import type { TrainingData, UserSequence } from '../../../src/data/split';
import { Ease } from '../../../src/eval/baselines/ease';
import { EASE_FOLDS, fitEaseTeacher, type EaseTeacher } from '../../../src/train/ease-teacher';

/** Users who each browse one of 4 item groups (10 items each), in random order. */
function groupedData(nUsers: number, seed: number): TrainingData {
  const rng = createRng(seed);
  const nItems = 40;
  const ids = Array.from({ length: nItems }, (_, i) => `i${i}`);
  const users: UserSequence[] = Array.from({ length: nUsers }, (_, u) => {
    const g = u % 4;
    const items = rng.shuffle(Array.from({ length: 10 }, (_, i) => g * 10 + i)).slice(0, 6 + (u % 4));
    return { user: String(u + 2), events: items.map((index, t) => ({ index, type: 'view' as const, ts: t })) };
  });
  const itemCounts = new Int32Array(nItems);
  for (const u of users) for (const e of u.events) itemCounts[e.index]++;
  return { catalogue: { ids, index: new Map(ids.map((id, i) => [id, i])) }, users, itemCounts, nInteractions: itemCounts.reduce((a, b) => a + b, 0), items: new Map() };
}

describe('the EASE distillation teacher', () => {
  const train = groupedData(60, 3);
  const fit = train.users.slice(0, 48);
  const validation = train.users.slice(48);
  let teacher: EaseTeacher;
  beforeAll(async () => {
    teacher = await fitEaseTeacher(train, fit, validation, { k: 3, maxContext: 20 });
  });

  it('scores a training user with an EASE fitted without that user', () => {
    const user = 7;
    const withoutFold = new Ease({ lambda: teacher.lambda });
    const rest = fit.filter((_, i) => i % EASE_FOLDS !== user % EASE_FOLDS);
    const counts = new Int32Array(train.itemCounts.length);
    for (const u of rest) for (const e of u.events) counts[e.index]++;
    withoutFold.fit({ ...train, users: rest, itemCounts: counts });
    const context = fit[user].events.slice(0, 3);
    expect(Array.from(teacher.scores(user, context))).toEqual(Array.from(withoutFold.scoreUser(context)));
  });

  it('ranks the rest of the context group first', () => {
    const context = fit[5].events.slice(0, 3);
    const group = Math.floor(context[0].index / 10);
    const s = teacher.scores(5, context);
    const seen = new Set(context.map((e) => e.index));
    const top = Array.from(s.keys()).filter((i) => !seen.has(i)).sort((a, b) => s[b] - s[a]).slice(0, 7);
    expect(top.every((i) => Math.floor(i / 10) === group)).toBe(true);
  });

  it('picks a logit scale above the smallest when the scores are informative', () => {
    expect(teacher.alpha).toBeGreaterThan(1);
  });
});
