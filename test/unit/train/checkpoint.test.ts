import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import { buildTrainingData } from '../../../src/data/split';
import type { Dataset, Interaction } from '../../../src/data/types';
import { CheckpointStore, trainingDataHash } from '../../../src/train/checkpoint';
import type { TableModel } from '../../../src/model/weights';

function randomModel(seed: number, n = 9, d = 4, hidden = 6): TableModel {
  const rng = createRng(seed);
  const arr = (len: number) => Float32Array.from({ length: len }, () => rng.normal());
  const model: TableModel = {
    n,
    d,
    hidden,
    itemIn: arr(n * d),
    itemOut: arr(n * d),
    itemBias: arr(n),
    tower: { w1: arr(d * hidden), b1: arr(hidden), w2: arr(hidden * d), b2: arr(d) },
  };
  model.itemBias[0] = -0;
  model.itemBias[1] = NaN;
  model.tower.b2[0] = 1.401298464324817e-45;
  return model;
}

const arrays = (m: TableModel) => [m.itemIn, m.itemOut, m.itemBias, m.tower.w1, m.tower.b1, m.tower.w2, m.tower.b2];
const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('CheckpointStore', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'localrec-ckpt-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads back exactly what it saved (bit for bit) with its info', async () => {
    const store = new CheckpointStore(dir, 'key-a');
    const model = randomModel(1);
    const info = { seconds: 1.5, bestEpoch: 2, history: [{ epoch: 1, validation: 0.25 }] };
    await store.save('student', model, info);
    const loaded = await store.load('student');
    expect(loaded).not.toBeNull();
    const m = loaded!.model;
    expect([m.n, m.d, m.hidden]).toEqual([model.n, model.d, model.hidden]);
    arrays(m).forEach((a, i) => {
      expect(a).toBeInstanceOf(Float32Array);
      expect(bits(a).equals(bits(arrays(model)[i])), `array ${i}`).toBe(true);
    });
    expect(loaded!.info).toEqual(info);
  });

  it('keeps stages apart', async () => {
    const store = new CheckpointStore(dir, 'key-a');
    await store.save('teacher', randomModel(2, 5, 8, 3), {});
    await store.save('meta', randomModel(3), {});
    const teacher = (await store.load('teacher'))!.model;
    expect([teacher.n, teacher.d, teacher.hidden]).toEqual([5, 8, 3]);
    expect(bits(teacher.itemIn).equals(bits(randomModel(2, 5, 8, 3).itemIn))).toBe(true);
    expect(bits((await store.load('meta'))!.model.tower.w1).equals(bits(randomModel(3).tower.w1))).toBe(true);
  });

  it('returns null for a checkpoint written under a different key', async () => {
    await new CheckpointStore(dir, 'key-a').save('student', randomModel(4), {});
    expect(await new CheckpointStore(dir, 'key-b').load('student')).toBeNull();
  });

  it.each([0, 2, 8])('returns null for a checkpoint cut short by %i bytes instead of loading short arrays', async (cut) => {
    const store = new CheckpointStore(join(dir, `cut-${cut}`), 'k');
    await store.save('teacher', randomModel(5), {});
    const path = join(dir, `cut-${cut}`, 'teacher.ckpt');
    const { readFile } = await import('node:fs/promises');
    const body = await readFile(path);
    await writeFile(path, cut === 0 ? Buffer.alloc(0) : body.subarray(0, body.length - cut));
    expect(await store.load('teacher')).toBeNull();
  });

  it('returns null for a stage that was never saved', async () => {
    expect(await new CheckpointStore(join(dir, 'empty'), 'key-a').load('teacher')).toBeNull();
  });

  it('overwrites a stage saved again', async () => {
    const store = new CheckpointStore(dir, 'key-c');
    await store.save('student', randomModel(5), { run: 1 });
    await store.save('student', randomModel(6), { run: 2 });
    const loaded = (await store.load('student'))!;
    expect(loaded.info).toEqual({ run: 2 });
    expect(bits(loaded.model.itemOut).equals(bits(randomModel(6).itemOut))).toBe(true);
  });

  it('ignores a leftover temp file from an interrupted save', async () => {
    const sub = join(dir, 'interrupted');
    const store = new CheckpointStore(sub, 'key-a');
    await store.save('teacher', randomModel(7), {});
    await writeFile(join(sub, 'teacher.ckpt.tmp'), 'half a file');
    expect(bits((await store.load('teacher'))!.model.itemIn).equals(bits(randomModel(7).itemIn))).toBe(true);
  });
});

describe('trainingDataHash', () => {
  const rows = (edit?: (r: Interaction) => Interaction): Dataset => {
    const interactions: Interaction[] = [];
    for (let u = 0; u < 12; u++) for (let j = 0; j < 5; j++) interactions.push({ user: `u${u}`, item: `i${(u + j * 2) % 7}`, type: 'view', ts: 1000 * u + j });
    const edited = edit ? interactions.map(edit) : interactions;
    return { name: 'd', interactions: edited, items: new Map() };
  };
  const hash = (d: Dataset) => trainingDataHash(buildTrainingData(d));

  it('is the same for the same data read twice', () => {
    expect(hash(rows())).toBe(hash(rows()));
  });

  it('changes when one timestamp is edited and the row, user and item counts stay the same', () => {
    const edited = rows((r) => (r.user === 'u3' && r.ts === 3001 ? { ...r, ts: 3999 } : r));
    expect(buildTrainingData(edited).nInteractions).toBe(buildTrainingData(rows()).nInteractions);
    expect(hash(edited)).not.toBe(hash(rows()));
  });

  it('changes when one event type or one item is swapped for another', () => {
    expect(hash(rows((r) => (r.user === 'u0' && r.ts === 0 ? { ...r, type: 'purchase' } : r)))).not.toBe(hash(rows()));
    expect(hash(rows((r) => (r.user === 'u5' && r.ts === 5000 ? { ...r, item: r.item === 'i0' ? 'i1' : 'i0' } : r)))).not.toBe(hash(rows()));
  });

  it('keys a store so that a checkpoint of other data is not loaded', async () => {
    const d = await mkdtemp(join(tmpdir(), 'ckpt-data-'));
    try {
      await new CheckpointStore(d, hash(rows())).save('teacher-x', randomModel(3), {});
      expect(await new CheckpointStore(d, hash(rows())).load('teacher-x')).not.toBeNull();
      const edited = hash(rows((r) => (r.ts === 7002 ? { ...r, ts: 7500 } : r)));
      expect(await new CheckpointStore(d, edited).load('teacher-x')).toBeNull();
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});
