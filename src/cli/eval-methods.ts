/**
 * EXTENSION POINT for the evaluation CLI: model-based methods (global student with 0 steps,
 * random init + k steps, pre-trained init + k steps, Reptile meta-init + k steps, teacher,
 * teacher fine-tuned per user) are returned from here and run on the same split, in the same
 * run, after the baselines. They must implement `ColdStartMethod` (src/eval/method.ts) and
 * have unique names; name pairs for paired intervals in `extraPairs`.
 */
import type { ColdStartMethod } from '../eval/method';

export interface ExtraMethodsContext {
  /** The --data spec the CLI was given ('movielens', 'shop', a path). */
  data: string;
  seed: number;
  /** Directory the report goes to (e.g. to find or cache trained models). */
  outDir: string;
}

/** Model-based methods to evaluate next to the baselines. */
export async function extraMethods(_ctx: ExtraMethodsContext): Promise<ColdStartMethod[]> {
  return [];
}

/** Extra paired differences [a, b] (a − b), e.g. ['meta+k steps', 'student 0 steps']. */
export function extraPairs(): [string, string][] {
  return [];
}
