/**
 * Worker-thread side of background training (see background-training.ts): rebuilds the
 * evaluation's split from the same data spec, runs the training pipeline on its training
 * users and posts progress, then the result with the hash of the data it trained on.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadDataset } from '../data/index';
import { buildColdStartSplit } from '../data/split';
import { trainingDataHash } from '../train/checkpoint';
import { initNodeTf } from '../train/tf-node';
import type { BackgroundJob, BackgroundMessage } from './background-training';
import { trainForEval } from './eval-methods';

const job = workerData as BackgroundJob;
const post = (m: BackgroundMessage) => parentPort!.postMessage(m);

try {
  await initNodeTf();
  const train = buildColdStartSplit((await loadDataset(job.data)).dataset).test.train;
  const result = await trainForEval(train, job.opts, job.checkpointDir, {
    onStageStart: (stage, total) => post({ type: 'start', stage, total }),
    onProgress: (stage, done, info) => post({ type: 'progress', stage, done, info }),
    onStageEnd: (stage, info) => post({ type: 'end', stage, info }),
  });
  post({ type: 'done', hash: trainingDataHash(train), result });
} catch (err) {
  post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
}
