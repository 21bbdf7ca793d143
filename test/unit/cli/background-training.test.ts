import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackgroundTraining } from '../../../src/cli/background-training';
import { loadDataset } from '../../../src/data/index';
import { buildColdStartSplit, type TrainingData } from '../../../src/data/split';
import { DEFAULT_PIPELINE, trainPipeline, type PipelineOptions } from '../../../src/train/pipeline';
import { initNodeTf } from '../../../src/train/tf-node';

const TINY: PipelineOptions = {
  ...DEFAULT_PIPELINE,
  teacher: { ...DEFAULT_PIPELINE.teacher, d: 8, hidden: 8, epochs: 1 },
  student: { ...DEFAULT_PIPELINE.student, d: 4, hidden: 8, epochs: 1 },
  meta: { ...DEFAULT_PIPELINE.meta, steps: 2, tasksPerStep: 4 },
  contentBuckets: 16,
  negatives: 8,
};

let dir = '';
let data = '';
let train: TrainingData;

beforeAll(async () => {
  await initNodeTf();
  dir = await mkdtemp(join(tmpdir(), 'localrec-background-'));
  data = join(dir, 'events.csv');
  const rows = ['user,item,type,timestamp'];
  for (let u = 0; u < 80; u++) for (let j = 0; j < 12; j++) rows.push(`u${u},i${(u * 7 + j * 3) % 25},view,${1_700_000_000_000 + u * 1000 + j}`);
  await writeFile(data, rows.join('\n') + '\n');
  train = buildColdStartSplit((await loadDataset(data)).dataset).test.train;
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('training on a worker thread', () => {
  it('gives the evaluation the very model it would have trained itself', async () => {
    const stages: string[] = [];
    const run = new BackgroundTraining({ data, opts: TINY, checkpointDir: null }, { onStageEnd: (s) => stages.push(s) });
    const here = await trainPipeline(train, TINY);
    const there = await run.resultFor(train);
    expect(there).not.toBeNull();
    expect(stages).toEqual(['teacher', 'student', 'meta', 'export']);
    expect(there!.weights.itemOut).toEqual(here.weights.itemOut);
    expect(there!.metaTower).toEqual(here.metaTower);
    expect(there!.student.tower).toEqual(here.student.tower);
  }, 120_000);

  it('is not used for training data other than what it trained on', async () => {
    const run = new BackgroundTraining({ data, opts: TINY, checkpointDir: null });
    const other: TrainingData = { ...train, users: train.users.slice(1) };
    expect(await run.resultFor(other)).toBeNull();
  }, 120_000);

  it('fails with the reason when the worker cannot train', async () => {
    const run = new BackgroundTraining({ data: join(dir, 'missing.csv'), opts: TINY, checkpointDir: null });
    await expect(run.resultFor(train)).rejects.toThrow(/background training failed: .*missing\.csv/);
  }, 60_000);
});
