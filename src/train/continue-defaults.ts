/**
 * What `train --from` runs unless its flags say otherwise. A continued model starts from
 * trained tables and a meta-trained tower, so it needs far less than a run from scratch
 * (which early-stops its teacher and student after several epochs each and meta-trains for
 * 300 steps): one student epoch (two evaluations, the published model competing) and a
 * third of the meta steps. Early stopping still keeps the best evaluation, so more epochs
 * only cost time. Imports nothing: the CLI reads it while parsing its flags.
 */
export const CONTINUE_DEFAULTS = { studentEpochs: 1, metaSteps: 100 } as const;
