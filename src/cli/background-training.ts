/**
 * The evaluation's training pipeline on a worker thread. Training is single-threaded
 * (tfjs wasm), and so is tuning the baselines; started before the baselines are tuned, it
 * runs on the second core, so a from-scratch evaluation takes about the longer of the two
 * instead of their sum. The worker rebuilds the split from the same data spec; a result is
 * used only for training data whose content hash matches it.
 */
import type { Worker } from 'node:worker_threads';
import type { TrainingData } from '../data/split';
import { trainingDataHash } from '../train/checkpoint';
import { startTsWorker } from '../train/pool';
import type { PipelineHooks, PipelineOptions, PipelineResult, Stage } from '../train/pipeline';

export interface BackgroundJob {
  /** The --data spec, so the worker loads exactly what the evaluation loaded. */
  data: string;
  opts: PipelineOptions;
  checkpointDir: string | null;
}

export type BackgroundMessage =
  | { type: 'start'; stage: Stage; total: number }
  | { type: 'progress'; stage: Stage; done: number; info: { loss: number; validation?: number } }
  | { type: 'end'; stage: Stage; info: Record<string, unknown> }
  | { type: 'done'; hash: string; result: PipelineResult }
  | { type: 'failed'; message: string };

export class BackgroundTraining {
  private readonly worker: Worker;
  private readonly outcome: Promise<{ hash: string; result: PipelineResult }>;

  constructor(job: BackgroundJob, hooks: PipelineHooks = {}) {
    this.worker = startTsWorker(new URL('./background-training.worker.ts', import.meta.url), job);
    this.outcome = new Promise((resolve, reject) => {
      this.worker.on('message', (m: BackgroundMessage) => {
        if (m.type === 'start') hooks.onStageStart?.(m.stage, m.total);
        else if (m.type === 'progress') hooks.onProgress?.(m.stage, m.done, m.info);
        else if (m.type === 'end') hooks.onStageEnd?.(m.stage, m.info);
        else if (m.type === 'done') resolve({ hash: m.hash, result: m.result });
        else reject(new Error(`background training failed: ${m.message}`));
      });
      this.worker.on('error', reject);
      this.worker.on('exit', (code) => reject(new Error(`background training exited (code ${code}) before it finished`)));
    });
    // Rejections are read by resultFor; an unused run must not crash the process.
    this.outcome.catch(() => {});
  }

  /** The pipeline's result when the worker trained on this very data, else null. */
  async resultFor(data: TrainingData): Promise<PipelineResult | null> {
    const { hash, result } = await this.outcome;
    await this.worker.terminate();
    return hash === trainingDataHash(data) ? result : null;
  }

  async dispose(): Promise<void> {
    await this.worker.terminate();
  }
}
