import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../../src/data/index';
import { buildTrainingData } from '../../../src/data/split';
import type { ModelManifest } from '../../../src/model/manifest';
import { buildModel } from '../../../src/train/build-model';
import { DEFAULT_PIPELINE } from '../../../src/train/pipeline';
import { initNodeTf } from '../../../src/train/tf-node';

describe('the committed default model', () => {
  beforeAll(async () => {
    await initNodeTf();
  });

  it('is rebuilt bit for bit by `npm run train -- --data shop --name shop --model-version <its version>`', async () => {
    const { dataset } = await loadDataset('shop');
    const committedText = await readFile(new URL('../../../public/models/shop/manifest.json', import.meta.url), 'utf8');
    const committed = JSON.parse(committedText) as ModelManifest;
    const modelVersion = committed.modelVersion;
    const { encoded } = await buildModel({ data: 'shop', name: 'shop', modelVersion, train: buildTrainingData(dataset), opts: DEFAULT_PIPELINE });
    expect(committed.files.length).toBeGreaterThan(0);
    for (const f of committed.files) {
      const bytes = encoded.files[f.path];
      expect(bytes, f.path).toBeDefined();
      expect(createHash('sha256').update(bytes).digest('hex'), f.path).toBe(f.sha256);
    }
    // The manifest too, all but its date: the text `npm run train` writes (files-node.ts) is the committed one.
    expect(JSON.stringify({ ...encoded.manifest, createdAt: committed.createdAt }, null, 1) + '\n').toBe(committedText);
  }, 600_000);
});
