/**
 * A retrained model (train --from the served version) published through the federated
 * server as the next version: the server serves it, opens a round on it, refuses deltas
 * of the version it replaced, and a restart neither loses it nor publishes an older model.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildTrainingData, type TrainingData } from '../../../src/data/split';
import { generateShop } from '../../../src/data/synthetic-shop';
import type { Dataset } from '../../../src/data/types';
import { parseRound } from '../../../src/federated/round';
import { decodeModel, type EncodedModel, type LoadedModel } from '../../../src/model/format';
import { towerSize } from '../../../src/model/weights';
import { buildModel } from '../../../src/train/build-model';
import { continueFrom } from '../../../src/train/from-model';
import type { PipelineOptions } from '../../../src/train/pipeline';
import { initNodeTf } from '../../../src/train/tf-node';
import { body, delta, startTestServer, tempDir, token, type TestServer } from './helpers';
import { TINY_PIPELINE } from '../../fixtures/tiny-pipeline';

const TINY: PipelineOptions = { ...TINY_PIPELINE, threads: 1 };
const LENGTH = towerSize(4, 8);

let first: EncodedModel;
let all: TrainingData;
let tmp: Awaited<ReturnType<typeof tempDir>>;
let s: TestServer;

beforeAll(async () => {
  await initNodeTf();
  const shop = generateShop({ users: 150, items: 40, seed: 11 });
  // The first version saw the first 70% of the time and not every fifth item.
  const ids = [...shop.items.keys()].sort();
  const later = new Set(ids.filter((_, i) => i % 5 === 0));
  const cut = [...shop.interactions].sort((a, b) => a.ts - b.ts)[Math.floor(shop.interactions.length * 0.7)].ts;
  const old: Dataset = { name: 'old', interactions: shop.interactions.filter((e) => e.ts < cut && !later.has(e.item)), items: shop.items };
  first = (await buildModel({ data: 'old', name: 'shop', modelVersion: 1, train: buildTrainingData(old), opts: TINY })).encoded;
  all = buildTrainingData(shop);
});
beforeEach(async () => {
  tmp = await tempDir();
  s = await startTestServer({ dir: tmp.dir, initial: first });
});
afterEach(async () => {
  await s.server.stop();
  await tmp.cleanup();
});

const get = async (url: string) => new Uint8Array((await s.server.app.inject({ method: 'GET', url })).rawPayload);

/** The version the server serves, downloaded the way a device downloads it. */
async function served(version: number): Promise<LoadedModel> {
  const manifest: unknown = JSON.parse(new TextDecoder().decode(await get(`/v1/models/${version}/manifest.json`)));
  return decodeModel(manifest, { 'weights.bin': await get(`/v1/models/${version}/weights.bin`), 'items.json': await get(`/v1/models/${version}/items.json`) });
}

/** train --from the served version: the next version, continued on all the data. */
async function retrain(from: LoadedModel): Promise<EncodedModel> {
  const { train, start } = continueFrom(from, all);
  return (await buildModel({ data: 'all', name: start.name, modelVersion: start.version + 1, train, opts: TINY, start: { from: start } })).encoded;
}

describe('a retrained model published through the federated server', () => {
  it('is served as the next version after the federated ones, keeps every item at its row, and opens a round on it', async () => {
    // Devices move version 1 to version 2 (a federated round).
    await s.upload(token('alice'), body(1, delta(1, 0.5, LENGTH)));
    await s.upload(token('bob00000'), body(1, delta(2, 0.5, LENGTH)));
    expect(await s.coordinator.aggregateNow()).toMatchObject({ fromVersion: 1, toVersion: 2 });
    const v2 = await served(2);
    const v3 = await retrain(v2);
    expect(v3.manifest.modelVersion).toBe(3);
    // A device's update to round 2 is for the tower that version 3 replaces: dropped, not aggregated into it.
    expect((await s.upload(token('carol000'), body(2, delta(3, 0.5, LENGTH), { modelVersion: 2 }))).status).toBe(200);

    expect(await s.coordinator.publishModel(v3)).toMatchObject({ roundId: 3, modelVersion: 3, accepted: 0 });
    expect(parseRound((await s.server.app.inject({ method: 'GET', url: '/v1/round' })).json())).toMatchObject({ roundId: 3, modelVersion: 3, manifest: 'v1/models/3/manifest.json' });
    const got = await served(3);
    expect(got.manifest.itemIds.slice(0, v2.manifest.itemIds.length)).toEqual(v2.manifest.itemIds);
    expect(got.manifest.itemIds.length).toBe(all.catalogue.ids.length);
    expect(got.manifest.itemIds.length).toBeGreaterThan(v2.manifest.itemIds.length);
    expect(got.manifest.pooling).toEqual(v2.manifest.pooling);
    expect((got.manifest.training as { from?: unknown }).from).toMatchObject({ name: 'shop', modelVersion: 2 });
    // Deltas of the replaced version are refused; the round on version 3 takes them.
    expect(await s.upload(token('dave0000'), body(3, delta(4, 0.5, LENGTH), { modelVersion: 2 }))).toMatchObject({ status: 409, code: 'update-stale-model' });
    expect((await s.upload(token('dave0000'), body(3, delta(4, 0.5, LENGTH), { modelVersion: 3 }))).status).toBe(200);
    // Version 2 stays downloadable for devices still on it.
    expect((await s.server.app.inject({ method: 'GET', url: '/v1/models/2/manifest.json' })).statusCode).toBe(200);
  });

  it('is published when the server restarts with it, and a restart with an older model or publishing one changes nothing', async () => {
    const v2 = await retrain(await served(1));
    await s.server.stop();
    s = await startTestServer({ dir: tmp.dir, initial: v2 });
    expect(s.coordinator.describe()).toMatchObject({ roundId: 2, modelVersion: 2 });
    expect((await served(2)).manifest.itemIds.length).toBe(all.catalogue.ids.length);
    // Restarted again with the same model: nothing new.
    await s.server.stop();
    s = await startTestServer({ dir: tmp.dir, initial: v2 });
    expect(s.coordinator.describe()).toMatchObject({ roundId: 2, modelVersion: 2 });
    // An older model at start is not published; publishing it is refused.
    await s.server.stop();
    s = await startTestServer({ dir: tmp.dir, initial: first });
    expect(s.coordinator.describe()).toMatchObject({ roundId: 2, modelVersion: 2 });
    await expect(s.coordinator.publishModel(first)).rejects.toHaveCode('invalid-argument');
  });
});
