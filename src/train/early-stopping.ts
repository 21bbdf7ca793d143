/**
 * Early-stopping bookkeeping shared by pre-training and meta-training: remembers the best
 * validation score, a snapshot of the model at it, and how many evaluations have passed
 * without improvement.
 */
export class BestSnapshot<T> {
  private bestAt: number;
  private bestValidation: number;
  private snapshot: T;
  private sinceBest = 0;

  constructor(
    private readonly copy: (model: T) => T,
    start: { model: T; at: number; validation: number },
    /** Evaluations without improvement after which `record` says stop. */
    private readonly patience = Infinity,
  ) {
    this.bestAt = start.at;
    this.bestValidation = start.validation;
    this.snapshot = copy(start.model);
  }

  /** Records an evaluation of `model`; true when `patience` evaluations in a row did not improve. */
  record(at: number, validation: number, model: T): boolean {
    if (validation > this.bestValidation) {
      this.bestAt = at;
      this.bestValidation = validation;
      this.snapshot = this.copy(model);
      this.sinceBest = 0;
      return false;
    }
    return ++this.sinceBest >= this.patience;
  }

  get best(): { at: number; validation: number } {
    return { at: this.bestAt, validation: this.bestValidation };
  }

  get model(): T {
    return this.snapshot;
  }
}
