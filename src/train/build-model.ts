import type { TrainingData } from '../data/split';
import type { ItemMeta } from '../data/types';
import { encodeModel, type EncodedModel } from '../model/format';
import type { CheckpointStore } from './checkpoint';
import { trainPipeline, type PipelineHooks, type PipelineOptions, type PipelineStart } from './pipeline';

export interface BuildModelInput {
  /** The data spec, recorded in the manifest's training facts. */
  data: string;
  name: string;
  modelVersion: number;
  train: TrainingData;
  opts: PipelineOptions;
  hooks?: PipelineHooks;
  checkpoints?: CheckpointStore;
  /** An imported teacher and/or a published model to continue (train --teacher, --from). */
  start?: PipelineStart;
}

/** Trains the whole pipeline on `train` and encodes the browser model (what `npm run train` writes). */
export async function buildModel(input: BuildModelInput): Promise<{ encoded: EncodedModel; report: Record<string, unknown> }> {
  const { train, opts, start = {} } = input;
  const result = await trainPipeline(train, opts, input.hooks, input.checkpoints, start);
  const items = modelItems(train);
  const encoded = await encodeModel({
    name: input.name,
    modelVersion: input.modelVersion,
    weights: result.weights,
    config: result.config,
    items,
    training: {
      data: input.data,
      seed: opts.seed,
      users: train.users.length,
      interactions: train.nInteractions,
      teacher: start.teacher ? { imported: start.teacher.facts } : start.from ? null : { d: opts.teacher.d, hidden: opts.teacher.hidden },
      student: { d: result.student.d, hidden: result.student.hidden, distillWeight: opts.student.distillWeight },
      ...(start.from ? { from: { name: start.from.name, modelVersion: start.from.version, ...start.from.facts } } : {}),
      meta: opts.meta.algorithm,
      validationNdcg10: {
        teacher: validationOf(result.report.teacher),
        student: validationOf(result.report.student),
        meta: validationOf(result.report.meta),
      },
      quantisation: result.report.quantisation,
    },
  });
  return { encoded, report: result.report };
}

/** items.json in table order: each catalogue item's metadata as ingested (display fields included), or its id as title. */
export function modelItems(train: TrainingData): ItemMeta[] {
  return train.catalogue.ids.map((id) => train.items.get(id) ?? { id, title: id, categories: [] });
}

function validationOf(stageReport: unknown): number | null {
  const v = (stageReport as { validationNdcg10?: unknown } | undefined)?.validationNdcg10;
  return typeof v === 'number' ? v : null;
}
