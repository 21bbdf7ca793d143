/**
 * Checks of a CLI run's inputs that happen before the first training step: too many
 * malformed rows, a data set too small to split and train on, and an output directory
 * that is unwritable or is a committed model or report. Each failure is a LocalrecError
 * whose code names the problem and whose message says what is missing.
 */
import { constants } from 'node:fs';
import { access, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalrecError } from '../errors';
import type { IngestResult, IngestSummary } from '../data/types';
import type { LoadedModel } from '../model/format';
import { describeRow } from './ingest-summary';
import { VALIDATION_FOLD, userFold, type ColdStartSplit, type TrainingData } from '../data/split';

/** How many bad lines a run lists. */
export const BAD_ROWS_LISTED = 10;

/**
 * Fails the run when more than `maxShare` of the input rows are malformed (rows of other
 * events and rows without an item are skipped, not malformed): the error is one line
 * naming the first bad row, after the next nine listed through `warn`. Within the share,
 * warns with the first ten.
 */
export function checkBadRows(ingest: IngestResult, maxShare: number, warn: (line: string) => void = console.warn): void {
  const { errors, dataset, summary } = ingest;
  const bad = summary?.bad ?? errors.length;
  if (bad === 0) return;
  const total = summary?.rows ?? errors.length + dataset.interactions.length;
  const share = bad / total;
  const listed = errors.slice(0, BAD_ROWS_LISTED).map((e) => `  ${describeRow(e)}`);
  if (share > maxShare) {
    if (listed.length > 1) warn(`malformed rows after the first:\n${listed.slice(1).join('\n')}`);
    throw new LocalrecError(
      'data-bad-rows',
      `${bad} of ${total} rows are malformed (${(share * 100).toFixed(1)}%, more than --max-bad-rows ${maxShare}); the first: ${errors.length > 0 ? describeRow(errors[0]) : '(none kept)'}`,
      { bad, total, maxShare, firstLine: errors[0]?.line ?? 0 },
    );
  }
  warn(`${bad} malformed rows skipped (within --max-bad-rows ${maxShare}); the first ones:\n${listed.join('\n')}`);
}

function tooSmall(what: string, details: Record<string, number>): LocalrecError {
  return new LocalrecError('data-too-small', `data set too small to train on: ${what}`, details);
}

/**
 * What the training pipeline needs of its users: at least two items, a fitting user with
 * two or more interactions (meta-training cuts a support and a query from one), and a
 * validation user (fold 1 of 5 by user-id hash) with more than the smallest validation k,
 * or early stopping has nothing to score and the model's validation scores are null.
 */
export function checkTrainingData(train: TrainingData, validationKs: readonly number[], side = 'the data', needValidation = true, summary?: IngestSummary): void {
  // Named when nothing is left: "every row another event: page_view 12, teleport 480" says what the file held.
  const skipped = summary ? Object.entries({ ...summary.skippedEvents, ...Object.fromEntries(Object.entries(summary.noItem).map(([k, v]) => [`${k} without an item`, v])) }).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k} ${v}`).join(', ') : '';
  const users = train.users.length;
  const items = train.catalogue.ids.length;
  const details = { users, items, interactions: train.nInteractions };
  if (train.nInteractions === 0) throw tooSmall(`${side} has no valid interactions (an empty or header-only file, every row malformed, or every row another event${skipped ? `: ${skipped}` : ''})`, details);
  if (items < 2) throw tooSmall(`${side} has ${items} item; at least 2 distinct items are needed`, details);
  if (users < 2) throw tooSmall(`${side} has ${users} user; users are split into fitting and validation users, so at least 2 (in practice dozens) are needed`, details);
  const fit = train.users.filter((u) => userFold(u.user) !== VALIDATION_FOLD);
  if (!fit.some((u) => u.events.length >= 2)) {
    throw tooSmall(`no fitting user in ${side} has 2 or more interactions with distinct items (meta-training needs a support and a query)`, details);
  }
  if (!needValidation) return;
  const kMin = Math.min(...validationKs);
  const validation = train.users.filter((u) => userFold(u.user) === VALIDATION_FOLD);
  if (!validation.some((u) => u.events.length > kMin)) {
    throw tooSmall(
      `no validation user in ${side} (fold ${VALIDATION_FOLD} of 5 by user-id hash; ${validation.length} users there) has more than ${kMin} interactions, so early stopping could not score a stage; add users or lower --validation-ks`,
      { ...details, validationUsers: validation.length, kMin },
    );
  }
}

/**
 * The cold-start split's checks: both training sides as for `train` (the validation side
 * holds folds 0 and 1 out, so its pipeline runs without early stopping by design), and
 * evaluable users on both evaluated sides.
 */
export function checkColdStartSplit(split: ColdStartSplit, ks: readonly number[], validationKs: readonly number[]): void {
  checkTrainingData(split.test.train, validationKs, 'the training folds of the test side');
  checkTrainingData(split.validation.train, validationKs, 'the training folds of the validation side', false);
  const kMin = Math.min(...ks);
  for (const [name, side] of [['test', split.test], ['validation', split.validation]] as const) {
    if (!side.evalUsers.some((u) => u.events.length > kMin)) {
      throw tooSmall(`no ${name} user has more than ${kMin} interactions with catalogue items, so there is nothing to evaluate`, {
        evalUsers: side.evalUsers.length,
        kMin,
      });
    }
  }
}

/** The repository root, found from this module (the CLIs run from it, but need not). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Directories holding committed artefacts a run must not overwrite without `--force`. */
export const PROTECTED_DIRS = [join('public', 'models'), 'reports'] as const;

function inside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..';
}

async function statOrNull(path: string) {
  return stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
    throw e;
  });
}

/** The files of a model directory (src/model/format.ts): what a model write may replace. */
const MODEL_DIR_FILES = new Set(['manifest.json', 'weights.bin', 'items.json']);

export interface OutputDirOptions {
  force: boolean;
  root?: string;
  /**
   * The directory is replaced whole (train's atomic model write): an existing one may hold
   * only model files, whatever `force` says, so `--out .`, `--out <the data directory>` or a
   * directory of other work is never swapped away and deleted.
   */
  replacedWhole?: boolean;
}

/**
 * The output directory is one a run may (re)write: not an existing directory under
 * public/models/ or reports/ (committed models and reports) unless `force`, not a file,
 * and its nearest existing ancestor is a writable directory. A symbolic link is followed,
 * so a link into public/models/ is protected too and the write lands where it points.
 */
export async function checkOutputDir(out: string, opts: OutputDirOptions): Promise<string> {
  const given = resolve(out);
  const info = await statOrNull(given);
  const dir = info !== null ? await realpath(given) : given;
  const root = await realpath(opts.root ?? ROOT);
  if (info !== null && !info.isDirectory()) {
    throw new LocalrecError('output-unwritable', `output ${dir} exists and is not a directory`, { out: dir });
  }
  for (const p of PROTECTED_DIRS) {
    const base = resolve(root, p);
    if (info !== null && inside(dir, base) && !opts.force) {
      throw new LocalrecError(
        'output-protected',
        `output ${relative(root, dir)} is a committed ${p === 'reports' ? 'report' : 'model'} directory; pass --force to overwrite it, or choose another --out`,
        { out: dir },
      );
    }
  }
  if (info !== null && opts.replacedWhole) {
    const others = (await readdir(dir)).filter((f) => !MODEL_DIR_FILES.has(f));
    if (others.length > 0) {
      throw new LocalrecError(
        'output-protected',
        `output ${dir} holds files that are not a model (${others.slice(0, 5).join(', ')}${others.length > 5 ? ', …' : ''}); the model write replaces the whole directory, so choose an empty or model directory`,
        { out: dir, others: others.length },
      );
    }
  }
  // The model write stages a temp directory beside `dir` and renames it in: the parent must be writable.
  let probe = dirname(dir);
  for (;;) {
    const s = await statOrNull(probe);
    if (s !== null) {
      if (!s.isDirectory()) throw new LocalrecError('output-unwritable', `cannot create ${dir}: ${probe} is not a directory`, { out: dir });
      break;
    }
    const up = dirname(probe);
    if (up === probe) break;
    probe = up;
  }
  try {
    await access(probe, constants.W_OK);
  } catch {
    throw new LocalrecError('output-unwritable', `cannot write ${dir}: ${probe} is not writable`, { out: dir });
  }
  return dir;
}

/** Throws `output-unwritable` when `path` (given as `flag`) lies inside the model directory `outDir`, which is replaced whole. */
export function checkNotInside(path: string, flag: string, outDir: string): void {
  const p = resolve(path);
  if (p === outDir || inside(p, outDir)) {
    throw new LocalrecError('output-unwritable', `${flag} ${p} lies inside the model directory ${outDir}, which is replaced whole when the model is written`, { path: p, out: outDir });
  }
}

/** A file a run will write (e.g. `--report`): not a directory, and its directory (or nearest existing ancestor) writable. */
export async function checkOutputFile(path: string): Promise<string> {
  const file = resolve(path);
  const info = await statOrNull(file);
  if (info !== null && info.isDirectory()) throw new LocalrecError('output-unwritable', `cannot write ${file}: it is a directory`, { out: file });
  await checkOutputDir(dirname(file), { force: true });
  return file;
}

/**
 * A model directory named by a flag (train --from), read and verified like the SDK would
 * (schema, hashes, weights): a missing directory or manifest is `data-missing-file`, a
 * damaged model keeps its own code (model-format, model-hash-mismatch), each naming the flag.
 */
export async function readModelDirArg(dir: string, flag: string): Promise<LoadedModel> {
  const { readModelDir } = await import('../model/files-node');
  try {
    return (await readModelDir(resolve(dir))).loaded;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new LocalrecError('data-missing-file', `${flag} ${dir}: no model there (no manifest.json or a file it lists)`, { path: dir });
    if (e instanceof SyntaxError) throw new LocalrecError('model-format', `${flag} ${dir}: manifest.json is not JSON (${e.message})`, { path: dir });
    if (e instanceof LocalrecError) throw new LocalrecError(e.code, `${flag} ${dir}: ${e.message}`, { ...e.details, path: dir });
    throw e;
  }
}
