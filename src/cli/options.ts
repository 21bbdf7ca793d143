/**
 * The model and pipeline flags `train` and `eval` share: one valibot schema of their
 * values and one flag table both commands register with commander, so both accept the
 * same names, types, defaults and help, and `eval` evaluates exactly what `train` trains.
 * Bad values stop the command while it parses its arguments, before any data or tfjs
 * is loaded. Imports nothing heavy on purpose.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import * as v from 'valibot';
import { MODEL_BOUNDS } from '../model/bounds';
import { VALIDATION_VIEWS } from '../eval/validation';
import { DEFAULT_PIPELINE, META_ALGORITHMS, type PipelineOptions } from '../train/options';

export const count = (min: 0 | 1, max = Number.MAX_SAFE_INTEGER) =>
  v.pipe(
    v.number('expected a number'),
    v.integer('expected an integer'),
    v.minValue(min, min === 1 ? 'expected a positive integer' : 'expected a non-negative integer'),
    v.maxValue(max, `expected at most ${max}`),
  );
export const positive = (max: number) =>
  v.pipe(v.number('expected a number'), v.finite('expected a number'), v.gtValue(0, 'expected a positive number'), v.maxValue(max, `expected at most ${max}`));

/**
 * Upper bounds that keep a run finite and its model loadable. The on-device settings take
 * the SDK's own bounds (src/model/bounds.ts), so the trainer never writes a model the SDK
 * refuses.
 */
export const FLAG_BOUNDS = {
  epochs: 1000,
  metaSteps: 100_000,
  lr: 10,
  queryMax: 10_000,
  innerSteps: MODEL_BOUNDS.maxInnerSteps,
  innerLr: MODEL_BOUNDS.maxInnerLr,
  recencyHalfLife: MODEL_BOUNDS.maxHalfLifePositions,
  biasScale: 64,
  k: 1000,
  threads: 256,
} as const;
export const oneOf = <T extends readonly string[]>(values: T) => v.picklist(values, `expected one of: ${values.join(', ')}`);

/** Support sizes: positive integers, at least one. */
export const KsSchema = v.pipe(v.array(count(1, FLAG_BOUNDS.k)), v.minLength(1, 'expected at least one k'));

/** The values of the shared flags, as commander hands them over (camelCase keys). */
export const PipelineFlagsSchema = v.strictObject({
  teacherEpochs: count(1, FLAG_BOUNDS.epochs),
  studentEpochs: count(1, FLAG_BOUNDS.epochs),
  meta: oneOf(META_ALGORITHMS),
  metaSteps: count(0, FLAG_BOUNDS.metaSteps),
  metaLr: positive(FLAG_BOUNDS.lr),
  queryMax: count(1, FLAG_BOUNDS.queryMax),
  queryViews: v.boolean(),
  innerSteps: count(0, FLAG_BOUNDS.innerSteps),
  innerLr: positive(FLAG_BOUNDS.innerLr),
  innerDebias: v.boolean(),
  itemFeatures: v.boolean(),
  chooseRecency: v.boolean(),
  chooseTimeRecency: v.boolean(),
  recencyHalfLife: v.pipe(
    v.number('expected a number'),
    v.finite('expected a number'),
    v.minValue(0, 'expected 0 (off) or a positive number'),
    v.maxValue(FLAG_BOUNDS.recencyHalfLife, `expected at most ${FLAG_BOUNDS.recencyHalfLife}`),
  ),
  sampleContexts: v.boolean(),
  averageWeights: v.boolean(),
  validationKs: KsSchema,
  validationView: oneOf(VALIDATION_VIEWS),
  biasScale: v.pipe(
    v.number('expected a number'),
    v.finite('expected a number'),
    v.minValue(0, 'expected 0 (choose on validation users) or a positive number'),
    v.maxValue(FLAG_BOUNDS.biasScale, `expected at most ${FLAG_BOUNDS.biasScale}`),
  ),
  threads: count(1, FLAG_BOUNDS.threads),
  validationUsers: count(1),
});
export type PipelineFlags = v.InferOutput<typeof PipelineFlagsSchema>;

/** How a flag's text becomes its schema's input: a number, a comma-separated list of numbers, text; booleans take no argument. */
type FlagInput = 'number' | 'list' | 'text' | 'boolean';

/** One row of a flag table: the schema key it fills, commander's flag text, help, and how its text is read. */
export interface FlagSpec<K extends string> {
  key: K;
  flags: string;
  help: string;
  input: FlagInput;
}

type PipelineFlag = FlagSpec<keyof PipelineFlags>;

/**
 * Registers a flag table on a command: each flag parsed by its schema entry (commander
 * names the flag in the error) with its default; boolean flags are switches (`--no-…` when on by default).
 */
export function addFlagTable<K extends string>(
  cmd: Command,
  table: readonly FlagSpec<K>[],
  entries: Readonly<Record<K, v.GenericSchema>>,
  defaults: Readonly<Partial<Record<K, unknown>>>,
): Command {
  for (const f of table) {
    const option = new Option(f.flags, f.help);
    if (f.input !== 'boolean') {
      option.argParser(argParser(f.input, entries[f.key] as v.GenericSchema<unknown, unknown>));
      if (defaults[f.key] !== undefined) option.default(defaults[f.key]);
    } else if (!option.negate && defaults[f.key] !== undefined) {
      // commander defaults a `--no-…` switch to true itself; a plain switch is left undefined.
      option.default(defaults[f.key]);
    }
    cmd.addOption(option);
  }
  return cmd;
}

/** A flag table's values out of a parsed command's options, checked by its schema. */
export function readFlagTable<S extends v.GenericSchema>(schema: S, table: readonly FlagSpec<string>[], opts: Record<string, unknown>): v.InferOutput<S> {
  return v.parse(schema, Object.fromEntries(table.map((f) => [f.key, opts[f.key]])));
}

/** The one table of shared flags. Boolean flags are switches; `--no-…` ones are on by default. */
export const PIPELINE_FLAGS: readonly PipelineFlag[] = [
  { key: 'teacherEpochs', flags: '--teacher-epochs <n>', help: 'teacher epochs (early stopping still applies)', input: 'number' },
  { key: 'studentEpochs', flags: '--student-epochs <n>', help: 'student epochs (early stopping still applies)', input: 'number' },
  { key: 'meta', flags: '--meta <algorithm>', help: 'meta-initialisation of the tower: fomaml or reptile', input: 'text' },
  { key: 'metaSteps', flags: '--meta-steps <n>', help: 'meta-training outer steps', input: 'number' },
  { key: 'metaLr', flags: '--meta-lr <x>', help: 'meta-training Adam rate', input: 'number' },
  { key: 'queryMax', flags: '--query-max <n>', help: "meta-training's outer loss covers at most this many later interactions per task", input: 'number' },
  { key: 'queryViews', flags: '--no-query-views', help: "meta-training's outer loss over all later interactions alike, instead of weighing the next 10 as much as all later ones", input: 'boolean' },
  { key: 'innerSteps', flags: '--inner-steps <n>', help: 'on-device SGD steps', input: 'number' },
  { key: 'innerLr', flags: '--inner-lr <x>', help: 'on-device SGD step size', input: 'number' },
  { key: 'innerDebias', flags: '--no-inner-debias', help: 'keep the item bias (log-popularity) in the on-device loss instead of leaving it out', input: 'boolean' },
  { key: 'itemFeatures', flags: '--no-item-features', help: 'pre-train free item rows only, without the hashed content-feature rows', input: 'boolean' },
  { key: 'chooseRecency', flags: '--no-choose-recency', help: "keep the device's pooling a plain mean instead of choosing a recency half-life on validation users after pre-training", input: 'boolean' },
  { key: 'chooseTimeRecency', flags: '--no-choose-time-recency', help: 'choose the half-life in positions only, not also one in hours on top of it', input: 'boolean' },
  { key: 'recencyHalfLife', flags: '--recency-half-life <n>', help: 'a half-life in positions: pooling weighs an event n interactions before the newest half as much (0 = off)', input: 'number' },
  { key: 'sampleContexts', flags: '--sample-contexts', help: "pre-training draws each context's length from 1 to its full length", input: 'boolean' },
  { key: 'averageWeights', flags: '--no-average-weights', help: 'pre-training early-stops on (and keeps) its current weights instead of a moving average of them', input: 'boolean' },
  { key: 'validationKs', flags: '--validation-ks <list>', help: 'support sizes whose mean validation NDCG@10 drives early stopping', input: 'list' },
  { key: 'biasScale', flags: '--bias-scale <x>', help: 'multiply the shipped item bias (popularity) by x; 0 = choose x on validation users', input: 'number' },
  { key: 'validationView', flags: '--validation-view <view>', help: "what every method is selected on: 'full' (all later interactions), 'both' (full and next 10, raw), 'relative' (each view over popularity's, the default) or 'next10' (the next 10 only)", input: 'text' },
  { key: 'threads', flags: '--threads <n>', help: "threads training uses (default: the machine's cores); the model is the same at any count", input: 'number' },
  { key: 'validationUsers', flags: '--validation-users <n>', help: 'score at most this many validation users (a fixed sample drawn with the seed when the fold has more)', input: 'number' },
];

/** The flag values that reproduce `opts` (for defaults). */
export function flagsOf(opts: PipelineOptions): PipelineFlags {
  return {
    teacherEpochs: opts.teacher.epochs,
    studentEpochs: opts.student.epochs,
    meta: opts.meta.algorithm,
    metaSteps: opts.meta.steps,
    metaLr: opts.meta.metaLr,
    queryMax: opts.meta.queryMax,
    queryViews: opts.meta.queryViews,
    innerSteps: opts.inner.steps,
    innerLr: opts.inner.lr,
    innerDebias: opts.inner.debias === true,
    itemFeatures: opts.itemFeatures,
    chooseRecency: opts.chooseRecency,
    chooseTimeRecency: opts.chooseTimeRecency,
    recencyHalfLife: opts.pooling.halfLifePositions ?? 0,
    sampleContexts: opts.sampleContexts,
    averageWeights: opts.averageWeights,
    validationKs: opts.validationKs,
    validationView: opts.validationView,
    biasScale: opts.biasScale,
    threads: opts.threads,
    validationUsers: opts.validationUsers,
  };
}

/** DEFAULT_PIPELINE with the shared flags' values and the command's seed. */
export function pipelineOptionsFrom(flags: PipelineFlags, seed: number): PipelineOptions {
  const d = DEFAULT_PIPELINE;
  const f = v.parse(PipelineFlagsSchema, flags);
  return {
    ...d,
    seed,
    validationKs: f.validationKs,
    validationView: f.validationView,
    biasScale: f.biasScale,
    itemFeatures: f.itemFeatures,
    chooseRecency: f.chooseRecency,
    chooseTimeRecency: f.chooseTimeRecency,
    sampleContexts: f.sampleContexts,
    averageWeights: f.averageWeights,
    threads: f.threads,
    validationUsers: f.validationUsers,
    pooling: f.recencyHalfLife > 0 ? { ...d.pooling, halfLifePositions: f.recencyHalfLife } : d.pooling,
    teacher: { ...d.teacher, epochs: f.teacherEpochs },
    student: { ...d.student, epochs: f.studentEpochs },
    meta: { ...d.meta, algorithm: f.meta, steps: f.metaSteps, metaLr: f.metaLr, queryMax: f.queryMax, queryViews: f.queryViews },
    inner: { steps: f.innerSteps, lr: f.innerLr, debias: f.innerDebias },
  };
}

/** Text → number, with blank text as NaN (Number('') is 0). */
function toNumber(text: string): number {
  return text.trim() === '' ? NaN : Number(text);
}

/** A commander argument parser that checks the text against `schema`; commander names the flag in its error. */
export function argParser<T>(input: 'number' | 'list' | 'text', schema: v.GenericSchema<unknown, T>): (text: string) => T {
  return (text) => {
    const value = input === 'number' ? toNumber(text) : input === 'list' ? [...new Set(text.split(',').map(toNumber))].sort((a, b) => a - b) : text;
    const res = v.safeParse(schema, value);
    if (!res.success) throw new InvalidArgumentError(res.issues[0].message);
    return res.output;
  };
}

/** A flag holding an integer from `min` to `max`. */
export const intFlag = (min: number, max: number) =>
  argParser(
    'number',
    v.pipe(v.number('expected a number'), v.integer('expected an integer'), v.minValue(min, `expected at least ${min}`), v.maxValue(max, `expected at most ${max}`)),
  );

/** A flag holding a finite number from `min` (exclusive with `above`) to `max`. */
export const numberFlag = (min: number, max: number, opts: { above?: boolean; below?: boolean } = {}) =>
  argParser(
    'number',
    v.pipe(
      v.number('expected a number'),
      v.finite('expected a finite number'),
      opts.above ? v.gtValue(min, `expected more than ${min}`) : v.minValue(min, `expected at least ${min}`),
      opts.below ? v.ltValue(max, `expected less than ${max}`) : v.maxValue(max, `expected at most ${max}`),
    ),
  );

/**
 * Parsers of the commands' own count flags. Seeds: the PRNG keeps 32 bits of one
 * (src/data/random.ts), so a larger seed only repeats a smaller one. Resamples: eval
 * bootstraps every method, k and view pair with them, so 10× DESIGN.md's 1000 is the most
 * that still finishes in seconds (a very large value ran for minutes or ran out of memory).
 */
export const MAX_SEED = 2 ** 32 - 1;
export const MAX_RESAMPLES = 10_000;
export const seedFlag = argParser('number', count(0, MAX_SEED));
export const resamplesFlag = argParser('number', count(1, MAX_RESAMPLES));

/** `--max-bad-rows`: the share of input rows that may be dropped as malformed before the run fails. */
const DEFAULT_MAX_BAD_ROWS = 0.01;
const shareOfRows = argParser(
  'number',
  v.pipe(v.number('expected a number'), v.finite('expected a number'), v.minValue(0, 'expected a share from 0 to 1'), v.maxValue(1, 'expected a share from 0 to 1')),
);

/** Registers the input and checkpoint flags both commands read the same way. */
function addRunFlags(cmd: Command): Command {
  return cmd
    .option('--checkpoint-dir <dir>', 'stage checkpoints, keyed by the data content and options (resume by re-running the same command)', '.cache/checkpoints')
    .option('--no-checkpoint', 'do not read or write stage checkpoints')
    .option('--max-bad-rows <share>', 'fail when more than this share (0-1) of input rows is malformed', shareOfRows, DEFAULT_MAX_BAD_ROWS);
}

/** Registers every shared flag on `cmd` (model flags with DEFAULT_PIPELINE's values as defaults, and the run flags). */
export function addPipelineFlags(cmd: Command): Command {
  addRunFlags(cmd);
  return addFlagTable(cmd, PIPELINE_FLAGS, PipelineFlagsSchema.entries, flagsOf(DEFAULT_PIPELINE));
}

/** The shared flags' values out of a parsed command's options. */
export function pipelineFlags(opts: Record<string, unknown>): PipelineFlags {
  return readFlagTable(PipelineFlagsSchema, PIPELINE_FLAGS, opts);
}
