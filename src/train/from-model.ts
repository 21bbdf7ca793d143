/**
 * Continuing a published model (`train --from <model dir> --data <new events>`): the new
 * data's catalogue is re-indexed so that every item the model knows keeps its row (devices
 * and the federated server keep addressing items by the same rows), items new in the data
 * are appended and start from the rows the model's content projection gives them (what
 * the browser already does for unseen items, src/model/catalogue.ts), and the model's
 * tables and tower are where training resumes.
 */
import type { IndexedEvent, TrainingData } from '../data/split';
import type { ItemMeta } from '../data/types';
import { buildCatalogue, hasContentFeatures } from '../model/catalogue';
import type { LoadedModel } from '../model/format';
import type { ModelConfig, TableModel } from '../model/weights';

/** Where a continued training starts: the published model, re-indexed to the new catalogue. */
export interface ContinuedModel {
  /** The published model's tables and tower in the new catalogue's order (rows for new items from content features). */
  model: TableModel;
  /**
   * The published model's on-device settings (pooling with its half-lives, inner loop,
   * content buckets): kept, so a device runs the new version the way it ran the old one.
   */
  config: ModelConfig;
  name: string;
  /** The published model's version; the continued one is written as a later version. */
  version: number;
  /** Identifies the published model (its manifest's file hashes), so stage checkpoints of another start never resume. */
  key: string;
  facts: {
    /** Items the published model has rows for (all kept, at the same index). */
    known: number;
    /** Items new in the data, appended after them. */
    added: number;
    /** Known items that no event of the new data names (kept as they are). */
    absent: number;
    /** Whether the new items' rows came from content features (false: the model has none, they start at zero). */
    contentRows: boolean;
  };
}

/**
 * The training data with the published model's items first, in its row order, then the
 * data's items it does not know, in the data's catalogue order; and the model's tables
 * extended to that catalogue. Item metadata comes from the data where it has some, else
 * from the model's items.json, so a known item absent from the new data keeps its title.
 */
export function continueFrom(base: LoadedModel, train: TrainingData): { train: TrainingData; start: ContinuedModel } {
  const known = new Set(base.items.map((it) => it.id));
  const addedIds = train.catalogue.ids.filter((id) => !known.has(id));
  const ids = [...base.items.map((it) => it.id), ...addedIds];
  const index = new Map(ids.map((id, i) => [id, i] as [string, number]));
  const remap = Int32Array.from(train.catalogue.ids, (id) => index.get(id)!);
  const users = train.users.map((u) => ({ user: u.user, events: u.events.map((e): IndexedEvent => ({ ...e, index: remap[e.index] })) }));
  const itemCounts = new Int32Array(ids.length);
  train.itemCounts.forEach((c, i) => (itemCounts[remap[i]] = c));
  const items = new Map<string, ItemMeta>();
  for (const it of base.items) items.set(it.id, train.items.get(it.id) ?? it);
  for (const id of addedIds) {
    const m = train.items.get(id);
    if (m) items.set(id, m);
  }
  const catalogue = buildCatalogue(base, addedIds.map((id) => items.get(id) ?? { id, title: id, categories: [] }));
  const { contentProj: _shippedProjection, ...tables } = catalogue.weights;
  const absent = base.items.reduce((a, _, i) => a + (itemCounts[i] === 0 ? 1 : 0), 0);
  return {
    train: { catalogue: { ids, index }, users, itemCounts, nInteractions: train.nInteractions, items },
    start: {
      model: tables,
      config: structuredClone(base.config),
      name: base.manifest.name,
      version: base.manifest.modelVersion,
      key: base.manifest.files.map((f) => f.sha256).join(''),
      facts: { known: base.items.length, added: addedIds.length, absent, contentRows: hasContentFeatures(base.weights) },
    },
  };
}
