import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import type { ItemMeta } from '../../../src/data/types';
import { readModelDir, writeModelDir } from '../../../src/model/files-node';
import { decodeModel, encodeModel, ITEMS_FILE, WEIGHTS_FILE, withTower, type EncodedModel, type ModelToEncode } from '../../../src/model/format';
import { dequantiseLinear8, dequantiseRows, dequantiseRows4, quantiseLinear8, quantiseRows, quantiseRows4 } from '../../../src/model/quantise';
import { DEFAULT_INNER, DEFAULT_POOLING, type ModelConfig, type ModelWeights } from '../../../src/model/weights';

const n = 12;
const d = 8;
const hidden = 6;
const buckets = 16;

function randomModel(seed: number): ModelToEncode {
  const rng = createRng(seed);
  const arr = (len: number, scale = 1) => Float32Array.from({ length: len }, () => rng.normal() * scale);
  const weights: ModelWeights = {
    n,
    d,
    hidden,
    itemIn: arr(n * d, 0.3),
    itemOut: arr(n * d, 0.3),
    itemBias: arr(n, 0.1),
    tower: { w1: arr(d * hidden), b1: arr(hidden), w2: arr(hidden * d), b2: arr(d) },
    contentProj: arr(buckets * (2 * d + 1), 0.05),
  };
  // Values whose float32 bits would not survive a detour through decimal text or float64 rounding mistakes.
  weights.tower.w1[0] = -0;
  weights.tower.b1[0] = 1.401298464324817e-45; // smallest subnormal
  weights.itemBias[1] = -999.9999389648438; // largest float32 below the bias bound (bounds.ts)
  const config: ModelConfig = { pooling: DEFAULT_POOLING, inner: DEFAULT_INNER, content: { buckets } };
  const items: ItemMeta[] = Array.from({ length: n }, (_, i) => ({
    id: `sku-${i}`,
    title: `Item ${i}`,
    categories: [i % 2 ? 'shoes' : 'books'],
    ...(i % 3 ? { brand: `brand-${i % 3}`, price: 10 + i } : {}),
  }));
  return { name: 'fixture', modelVersion: 3, weights, config, items, training: { seed } };
}

const bytesOf = (a: Float32Array | Int8Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const asJson = (m: EncodedModel['manifest']) => JSON.parse(JSON.stringify(m)) as Record<string, unknown>;

describe('encodeModel / decodeModel, format version 1 (int8 rows: models written before version 2 still load)', () => {
  const model = randomModel(1);
  let encoded: EncodedModel;
  beforeAll(async () => {
    encoded = await encodeModel(model, { formatVersion: 1 });
  });

  it('restores float tensors (tower, item bias, content projection) bit for bit', async () => {
    const loaded = await decodeModel(asJson(encoded.manifest), encoded.files);
    const w = model.weights;
    const got = loaded.weights;
    expect([got.n, got.d, got.hidden]).toEqual([n, d, hidden]);
    for (const [a, b] of [
      [got.tower.w1, w.tower.w1],
      [got.tower.b1, w.tower.b1],
      [got.tower.w2, w.tower.w2],
      [got.tower.b2, w.tower.b2],
      [got.itemBias, w.itemBias],
      [got.contentProj, w.contentProj],
    ] as const) {
      expect(a).toBeInstanceOf(Float32Array);
      expect(bytesOf(a)).toEqual(bytesOf(b));
    }
  });

  it('restores item tables exactly as dequantise(quantise(x))', async () => {
    const loaded = await decodeModel(asJson(encoded.manifest), encoded.files);
    const w = model.weights;
    expect(bytesOf(loaded.weights.itemIn)).toEqual(bytesOf(dequantiseRows(quantiseRows(w.itemIn, n, d), d)));
    expect(bytesOf(loaded.weights.itemOut)).toEqual(bytesOf(dequantiseRows(quantiseRows(w.itemOut, n, d), d)));
    // And they are not simply the float tables (the format really stores int8).
    expect(bytesOf(loaded.weights.itemIn)).not.toEqual(bytesOf(w.itemIn));
  });

  it('restores the catalogue, the config and the manifest facts', async () => {
    const loaded = await decodeModel(asJson(encoded.manifest), encoded.files);
    expect(loaded.items).toEqual(model.items);
    expect(loaded.config).toEqual(model.config);
    expect(loaded.manifest.itemIds).toEqual(model.items.map((i) => i.id));
    expect(loaded.manifest.name).toBe('fixture');
    expect(loaded.manifest.modelVersion).toBe(3);
    expect(loaded.manifest.formatVersion).toBe(1);
  });

  it('carries the display fields image, url and price through items.json', async () => {
    const withDisplay = { ...model, items: model.items.map((it, i) => ({ ...it, price: 9.99 + i, image: `img/products/${it.id}.svg`, url: `#/product/${it.id}` })) };
    const enc = await encodeModel(withDisplay);
    expect((await decodeModel(asJson(enc.manifest), enc.files)).items).toEqual(withDisplay.items);
  });

  it.each([
    ['a price as text', { price: '12' }],
    ['a negative price', { price: -1 }],
    ['an image that is a number', { image: 7 }],
    ['a url that is an object', { url: { href: '/x' } }],
    ['a url of 3000 characters', { url: `/${'x'.repeat(3000)}` }],
    ['a brand that is a list', { brand: ['a'] }],
  ])('rejects items.json with %s (with a correct hash) as model-format, and refuses to encode it', async (_, field) => {
    const items = model.items.map((it) => ({ ...it })) as Record<string, unknown>[];
    Object.assign(items[4], field);
    const bytes = new TextEncoder().encode(JSON.stringify(items));
    const m = asJson(encoded.manifest);
    const entry = (m.files as { path: string; bytes: number; sha256: string }[]).find((f) => f.path === ITEMS_FILE)!;
    entry.bytes = bytes.byteLength;
    entry.sha256 = sha256(bytes);
    await expect(decodeModel(m, { ...encoded.files, [ITEMS_FILE]: bytes })).rejects.toHaveCode('model-format');
    await expect(encodeModel({ ...model, items: items as unknown as ItemMeta[] })).rejects.toHaveCode('invalid-argument');
  });

  it('lists each file with its byte length and SHA-256', () => {
    for (const f of encoded.manifest.files) {
      const bytes = encoded.files[f.path];
      expect(f.bytes).toBe(bytes.byteLength);
      expect(f.sha256).toBe(sha256(bytes));
    }
    expect(encoded.manifest.files.map((f) => f.path).sort()).toEqual([ITEMS_FILE, WEIGHTS_FILE].sort());
  });

  it('rejects a manifest with formatVersion 3 as model-version-unsupported', async () => {
    const m = asJson(encoded.manifest);
    m.formatVersion = 3;
    await expect(decodeModel(m, encoded.files)).rejects.toHaveCode('model-version-unsupported');
  });

  it.each(['tower.w2', 'tower.b2', 'itemIn.scale'] as const)('rejects a non-finite value in %s (with correct hashes) as model-format', async (name) => {
    const bad = randomModel(2);
    if (name === 'tower.w2') bad.weights.tower.w2[3] = Number.NaN;
    else if (name === 'tower.b2') bad.weights.tower.b2[0] = Number.POSITIVE_INFINITY;
    else bad.weights.itemIn.fill(Number.POSITIVE_INFINITY, 0, d);
    const enc = await encodeModel(bad, { formatVersion: 1 });
    await expect(decodeModel(asJson(enc.manifest), enc.files)).rejects.toHaveCode('model-format');
  });

  it('rejects a missing file as model-format', async () => {
    const files = { ...encoded.files };
    delete files[ITEMS_FILE];
    await expect(decodeModel(asJson(encoded.manifest), files)).rejects.toHaveCode('model-format');
  });
});

describe('encodeModel / decodeModel, format version 2 (4-bit item rows, the default)', () => {
  const model = randomModel(4);
  let encoded: EncodedModel;
  beforeAll(async () => {
    encoded = await encodeModel(model);
  });

  it('writes version 2, the tower bit for bit and every other table as its quantiser decodes it', async () => {
    const loaded = await decodeModel(asJson(encoded.manifest), encoded.files);
    const w = model.weights;
    const got = loaded.weights;
    expect(loaded.manifest.formatVersion).toBe(2);
    for (const k of ['w1', 'b1', 'w2', 'b2'] as const) expect(bytesOf(got.tower[k])).toEqual(bytesOf(w.tower[k]));
    expect(bytesOf(got.itemIn)).toEqual(bytesOf(dequantiseRows4(quantiseRows4(w.itemIn, n, d), d)));
    expect(bytesOf(got.itemOut)).toEqual(bytesOf(dequantiseRows4(quantiseRows4(w.itemOut, n, d), d)));
    expect(bytesOf(got.itemBias)).toEqual(bytesOf(dequantiseLinear8(quantiseLinear8(w.itemBias))));
    expect(bytesOf(got.contentProj)).toEqual(bytesOf(dequantiseRows(quantiseRows(w.contentProj, buckets, 2 * d + 1), 2 * d + 1)));
  });

  it('stores two item-table values per byte: about half the bytes of version 1 for a large catalogue', async () => {
    const big = { ...randomModel(5) };
    const N = 2000;
    const rng = createRng(6);
    const arr = (len: number) => Float32Array.from({ length: len }, () => rng.normal() * 0.3);
    big.weights = { ...big.weights, n: N, itemIn: arr(N * d), itemOut: arr(N * d), itemBias: arr(N) };
    big.items = Array.from({ length: N }, (_, i) => ({ id: `sku-${i}`, title: `Item ${i}`, categories: ['x'] }));
    const v1 = (await encodeModel(big, { formatVersion: 1 })).files[WEIGHTS_FILE].byteLength;
    const v2 = (await encodeModel(big)).files[WEIGHTS_FILE].byteLength;
    // Per item: v1 2·d int8 + 2 scales + bias = 2d + 12 bytes; v2 d (two 4-bit tables) + 2 + 1 bytes.
    expect(v2).toBeLessThan(v1 * 0.55);
  });

  it('makes a new version with another tower and every other tensor byte for byte (withTower)', async () => {
    const tower = randomModel(9).weights.tower;
    const next = await withTower(encoded, tower, { modelVersion: 4 });
    const a = await decodeModel(asJson(encoded.manifest), encoded.files);
    const b = await decodeModel(asJson(next.manifest), next.files);
    expect(b.manifest.modelVersion).toBe(4);
    for (const k of ['w1', 'b1', 'w2', 'b2'] as const) expect(bytesOf(b.weights.tower[k])).toEqual(bytesOf(tower[k]));
    expect(bytesOf(b.weights.itemIn)).toEqual(bytesOf(a.weights.itemIn));
    expect(bytesOf(b.weights.itemOut)).toEqual(bytesOf(a.weights.itemOut));
    expect(bytesOf(b.weights.itemBias)).toEqual(bytesOf(a.weights.itemBias));
    expect(next.files[ITEMS_FILE]).toEqual(encoded.files[ITEMS_FILE]);
  });

  it('rejects a log-scale range that decodes to non-finite item values as model-format', async () => {
    const bad = randomModel(7);
    bad.weights.itemIn.fill(Number.POSITIVE_INFINITY, 0, d);
    const enc = await encodeModel(bad);
    await expect(decodeModel(asJson(enc.manifest), enc.files)).rejects.toHaveCode('model-format');
  });
});

describe('writeModelDir / readModelDir', () => {
  let root: string;
  let encoded: EncodedModel;
  let counter = 0;
  const model = randomModel(2);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'localrec-format-'));
    encoded = await encodeModel(model);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** A fresh, valid model directory. */
  async function freshDir(): Promise<string> {
    const dir = join(root, `m${counter++}`);
    await writeModelDir(dir, encoded);
    return dir;
  }

  async function editManifest(dir: string, edit: (m: Record<string, unknown>) => void): Promise<void> {
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    edit(m);
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
  }

  /** Replaces items.json and gives the manifest its correct size and hash, so only the content is wrong. */
  async function writeItemsHashed(dir: string, items: readonly unknown[]): Promise<void> {
    const bytes = new TextEncoder().encode(JSON.stringify(items));
    await writeFile(join(dir, ITEMS_FILE), bytes);
    await editManifest(dir, (m) => {
      const entry = (m.files as { path: string; bytes: number; sha256: string }[]).find((f) => f.path === ITEMS_FILE)!;
      entry.bytes = bytes.byteLength;
      entry.sha256 = sha256(bytes);
    });
  }

  it('round-trips a model through a directory', async () => {
    const dir = await freshDir();
    const { loaded, encoded: read } = await readModelDir(dir);
    expect(read.manifest).toEqual(asJson(encoded.manifest));
    expect(Object.keys(read.files).sort()).toEqual(Object.keys(encoded.files).sort());
    const w = model.weights;
    expect(bytesOf(loaded.weights.tower.w1)).toEqual(bytesOf(w.tower.w1));
    expect(bytesOf(loaded.weights.tower.w2)).toEqual(bytesOf(w.tower.w2));
    expect(bytesOf(loaded.weights.contentProj)).toEqual(bytesOf(dequantiseRows(quantiseRows(w.contentProj, buckets, 2 * d + 1), 2 * d + 1)));
    expect(bytesOf(loaded.weights.itemBias)).toEqual(bytesOf(dequantiseLinear8(quantiseLinear8(w.itemBias))));
    expect(bytesOf(loaded.weights.itemOut)).toEqual(bytesOf(dequantiseRows4(quantiseRows4(w.itemOut, n, d), d)));
    expect(loaded.items).toEqual(model.items);
    expect(loaded.manifest).toEqual(asJson(encoded.manifest));
  });

  it('rejects a weights.bin with one flipped byte as model-hash-mismatch', async () => {
    const dir = await freshDir();
    const path = join(dir, WEIGHTS_FILE);
    const bytes = new Uint8Array(await readFile(path));
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    await writeFile(path, bytes);
    await expect(readModelDir(dir)).rejects.toHaveCode('model-hash-mismatch');
  });

  it('rejects a truncated weights.bin as model-hash-mismatch', async () => {
    const dir = await freshDir();
    const path = join(dir, WEIGHTS_FILE);
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 4));
    await expect(readModelDir(dir)).rejects.toHaveCode('model-hash-mismatch');
  });

  it('rejects a tampered items.json as model-hash-mismatch', async () => {
    const dir = await freshDir();
    const path = join(dir, ITEMS_FILE);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('Item 1"', 'Item X"'));
    await expect(readModelDir(dir)).rejects.toHaveCode('model-hash-mismatch');
  });

  it('rejects formatVersion 3 as model-version-unsupported', async () => {
    const dir = await freshDir();
    await editManifest(dir, (m) => (m.formatVersion = 3));
    await expect(readModelDir(dir)).rejects.toHaveCode('model-version-unsupported');
  });

  it.each(['name', 'dims', 'itemIds', 'tensors', 'files', 'inner'])('rejects a manifest without "%s" as model-format', async (field) => {
    const dir = await freshDir();
    await editManifest(dir, (m) => delete m[field]);
    await expect(readModelDir(dir)).rejects.toHaveCode('model-format');
  });

  it('rejects items.json whose ids do not match the manifest (with a correct hash) as model-format', async () => {
    const dir = await freshDir();
    const items = model.items.map((it) => ({ ...it }));
    items[5].id = 'someone-else';
    await writeItemsHashed(dir, items);
    await expect(readModelDir(dir)).rejects.toHaveCode('model-format');
  });

  it('rejects items.json with one item too few (with a correct hash) as model-format', async () => {
    const dir = await freshDir();
    await writeItemsHashed(dir, model.items.slice(0, -1));
    await expect(readModelDir(dir)).rejects.toHaveCode('model-format');
  });

  it('rejects duplicate item ids in the manifest as model-format', async () => {
    const dir = await freshDir();
    await editManifest(dir, (m) => ((m.itemIds as string[])[1] = (m.itemIds as string[])[0]));
    await expect(readModelDir(dir)).rejects.toHaveCode('model-format');
  });

  it('a write interrupted before its swap leaves the old model readable, and the next write replaces it', async () => {
    const dir = await freshDir();
    const next = await encodeModel({ ...randomModel(3), modelVersion: 7 });
    const crash = new Error('simulated crash');
    await expect(writeModelDir(dir, next, { beforeSwap: () => Promise.reject(crash) })).rejects.toBe(crash);
    expect((await readModelDir(dir)).loaded.manifest).toEqual(asJson(encoded.manifest));
    await writeModelDir(dir, next);
    expect((await readModelDir(dir)).loaded.manifest.modelVersion).toBe(7);
    expect((await readdir(root)).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('between the two renames of a swap, reads fall back to the parked old model', async () => {
    const dir = await freshDir();
    await rename(dir, join(root, `.${basename(dir)}.old`));
    expect((await readModelDir(dir)).loaded.manifest).toEqual(asJson(encoded.manifest));
    await writeModelDir(dir, encoded);
    expect((await readdir(root)).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('refuses a second writer of the same directory while the first is writing, so two runs never mix their files', async () => {
    const dir = await freshDir();
    const next = await encodeModel({ ...randomModel(4), modelVersion: 8 });
    let release!: () => void;
    const first = writeModelDir(dir, next, { beforeSwap: () => new Promise<void>((r) => (release = r)) });
    await expect.poll(() => release).toBeDefined();
    const err = await writeModelDir(dir, encoded).catch((e: unknown) => e);
    expect(err).toHaveCode('output-unwritable');
    release();
    await first;
    expect((await readModelDir(dir)).loaded.manifest.modelVersion).toBe(8);
  });

  it('takes over the lock of a writer that died', async () => {
    const dir = await freshDir();
    await writeFile(join(root, `.${basename(dir)}.lock`), '999999999');
    const next = await encodeModel({ ...randomModel(5), modelVersion: 9 });
    await writeModelDir(dir, next);
    expect((await readModelDir(dir)).loaded.manifest.modelVersion).toBe(9);
    expect((await readdir(root)).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});
