import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrainingData } from '../data/split';
import type { TableModel } from '../model/weights';

/**
 * SHA-256 (hex) over the canonical training data: the catalogue in index order with each
 * item's metadata, and every user's ordered (item index, type, timestamp) sequence. Two
 * files that ingest to the same data hash alike; any edit that changes what training
 * sees (an item, a user, a type, a timestamp, a title) changes the hash.
 */
export function trainingDataHash(train: TrainingData): string {
  const h = createHash('sha256');
  const line = (value: unknown) => h.update(JSON.stringify(value)).update('\n');
  line({ items: train.catalogue.ids.length, users: train.users.length, n: train.nInteractions });
  for (const id of train.catalogue.ids) line(['i', id, train.items.get(id) ?? null]);
  for (const u of train.users) line(['u', u.user, u.events.map((e) => [e.index, e.type, e.ts])]);
  return h.digest('hex');
}

/**
 * Stage checkpoints: each finished stage (teacher, student, meta) is saved as raw float32
 * so an interrupted run resumes at the next stage with bit-identical inputs. The store's
 * directory and key come from `trainingDataHash` (the data's content) and the stage name
 * from the options the stage depends on (pipeline.ts stageKeys), so an edited data file or
 * a changed option never picks up a stale stage.
 */
export class CheckpointStore {
  constructor(
    private readonly dir: string,
    private readonly key: string,
  ) {}

  private path(stage: string): string {
    return join(this.dir, `${stage}.ckpt`);
  }

  async save(stage: string, model: TableModel, info: Record<string, unknown>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const parts = [model.itemIn, model.itemOut, model.itemBias, model.tower.w1, model.tower.b1, model.tower.w2, model.tower.b2];
    const header = JSON.stringify({ key: this.key, n: model.n, d: model.d, hidden: model.hidden, lengths: parts.map((p) => p.length), info });
    const headerBytes = new TextEncoder().encode(header);
    const body = new Uint8Array(4 + headerBytes.length + parts.reduce((s, p) => s + p.byteLength, 0));
    new DataView(body.buffer).setUint32(0, headerBytes.length, true);
    body.set(headerBytes, 4);
    let o = 4 + headerBytes.length;
    for (const p of parts) {
      body.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), o);
      o += p.byteLength;
    }
    // Per process: two runs checkpointing the same data at once must not write into one temp file.
    const tmp = `${this.path(stage)}.tmp-${process.pid}`;
    await writeFile(tmp, body);
    await rename(tmp, this.path(stage));
  }

  async load(stage: string): Promise<{ model: TableModel; info: Record<string, unknown> } | null> {
    let body: Buffer;
    try {
      body = await readFile(this.path(stage));
    } catch {
      return null;
    }
    // A damaged or foreign file means "retrain this stage", never a crash or short arrays.
    if (body.length < 4) return null;
    const len = body.readUInt32LE(0);
    let header: { key: string; n: number; d: number; hidden: number; lengths: number[]; info: Record<string, unknown> };
    try {
      header = JSON.parse(body.subarray(4, 4 + len).toString('utf8')) as typeof header;
    } catch {
      return null;
    }
    if (header.key !== this.key || !Array.isArray(header.lengths) || header.lengths.length !== 7) return null;
    if (body.length !== 4 + len + header.lengths.reduce((s, l) => s + l * 4, 0)) return null;
    let o = 4 + len;
    const arrays = header.lengths.map((l) => {
      const a = new Float32Array(body.buffer.slice(body.byteOffset + o, body.byteOffset + o + l * 4));
      o += l * 4;
      return a;
    });
    const [itemIn, itemOut, itemBias, w1, b1, w2, b2] = arrays;
    return { model: { n: header.n, d: header.d, hidden: header.hidden, itemIn, itemOut, itemBias, tower: { w1, b1, w2, b2 } }, info: header.info };
  }
}
