/** Popularity: every new user gets the training items ranked by how many training users had them. */
import type { ColdStartMethod, IndexedEvent, TrainingData } from '../method';

export class Popularity implements ColdStartMethod {
  readonly name = 'popularity';
  private scores = new Float32Array(0);

  fit(train: TrainingData): void {
    this.scores = Float32Array.from(train.itemCounts);
  }

  scoreUser(_support: readonly IndexedEvent[]): Float32Array {
    return this.scores;
  }
}
