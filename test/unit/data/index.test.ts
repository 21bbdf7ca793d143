import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as data from '../../../src/data';
import { buildTrainingData } from '../../../src/data/split';
import { modelItems } from '../../../src/train/build-model';

describe('src/data barrel', () => {
  it('re-exports the loaders, the generator, the rng, dedupe and the event types', () => {
    for (const name of [
      'parseMovieLens',
      'loadMovieLens',
      'parseEventsText',
      'loadEventsFile',
      'generateShop',
      'createRng',
      'dedupeInteractions',
      'loadDataset',
    ] as const) {
      expect(typeof data[name]).toBe('function');
    }
    expect(data.EVENT_TYPES).toEqual(['view', 'cart', 'purchase', 'rating']);
  });
});

describe('loadDataset', () => {
  it('loads "movielens" from the repo copy found relative to the module', async () => {
    const { dataset, errors } = await data.loadDataset('movielens');
    expect(errors).toEqual([]);
    expect(dataset.interactions).toHaveLength(100_836);
    expect(dataset.items.size).toBe(9742);
  });

  it('generates "shop" and "shop:<seed>" with the default options', async () => {
    const seeded = await data.loadDataset('shop:7');
    expect(seeded.errors).toEqual([]);
    expect(seeded.dataset).toEqual(data.generateShop({ seed: 7 }));
    const plain = await data.loadDataset('shop');
    expect(plain.dataset.name).toBe(`shop:${data.DEFAULT_SHOP_OPTIONS.seed}`);
  });

  it('loads an events file by path and a directory holding events.csv plus items.csv', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'localrec-spec-'));
    await writeFile(join(dir, 'events.csv'), 'user,item,type,timestamp\nu1,p1,view,1700000000\nu1,p2,cart,1700000100\n');
    await writeFile(join(dir, 'items.csv'), 'id,title,categories,brand,price\np1,Lamp,home,Lumen,20\n');
    const file = await data.loadDataset(join(dir, 'events.csv'));
    expect(file.dataset.interactions).toHaveLength(2);
    const folder = await data.loadDataset(dir);
    expect(folder.dataset.items.get('p1')?.title).toBe('Lamp');
    expect(folder.dataset.items.get('p2')?.title).toBe('p2');
  });

  it('carries image, url and price from a data directory’s items file to the rows of items.json the trainer writes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'localrec-spec-'));
    await writeFile(join(dir, 'events.csv'), 'user,item,type,timestamp\nu1,p1,view,1700000000\nu2,p2,view,1700000100\n');
    await writeFile(join(dir, 'items.csv'), 'id,title,categories,price,image,url\np1,Lamp,home,20,https://cdn.shop.test/p1.jpg,/p/p1\n');
    const { dataset } = await data.loadDataset(dir);
    expect(modelItems(buildTrainingData(dataset))).toEqual([
      { id: 'p1', title: 'Lamp', categories: ['home'], price: 20, image: 'https://cdn.shop.test/p1.jpg', url: '/p/p1' },
      { id: 'p2', title: 'p2', categories: [] },
    ]);
  });

  it('rejects a bad seed and a path that does not exist with data-bad-spec errors', async () => {
    await expect(data.loadDataset('shop:abc')).rejects.toHaveCode('data-bad-spec');
    await expect(data.loadDataset('/nonexistent-localrec/file.csv')).rejects.toHaveCode('data-bad-spec');
  });
});
