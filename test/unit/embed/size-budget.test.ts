import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Size budgets of the shipped script-tag artifacts, measured on a real production build.
 * The loader and the page client are what every shop page pays for; tfjs only ever loads
 * inside the Worker.
 */
const BUDGET_GZIP = { loader: 2_500, client: 2_500, worker: 350_000 };

describe('the embed build', () => {
  let dir: string;
  const files: Record<string, Buffer> = {};
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'localrec-embed-'));
    await build({ configFile: 'vite.embed.config.ts', logLevel: 'silent', build: { outDir: dir, emptyOutDir: true } });
    const walk = async (d: string, prefix = ''): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(d, e.name), `${prefix}${e.name}/`);
        else files[`${prefix}${e.name}`] = await readFile(join(d, e.name));
      }
    };
    await walk(dir);
    // Printed so a change's effect on the shipped sizes shows in the test log.
    for (const [name, bytes] of Object.entries(files)) if (name.endsWith('.js')) console.log(`gzip ${name}: ${gzipSync(bytes).length} bytes`);
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const pick = (re: RegExp) => {
    const name = Object.keys(files).find((f) => re.test(f));
    expect(name, `no file matching ${re} in ${Object.keys(files).join(', ')}`).toBeDefined();
    return files[name!];
  };

  it(`keeps the script-tag loader under ${BUDGET_GZIP.loader} bytes gzipped`, () => {
    expect(gzipSync(pick(/^localrec-embed\.js$/)).length).toBeLessThanOrEqual(BUDGET_GZIP.loader);
  });

  it(`keeps the page client under ${BUDGET_GZIP.client} bytes gzipped and free of tfjs`, () => {
    const client = pick(/^main-client-.*\.js$/);
    expect(gzipSync(client).length).toBeLessThanOrEqual(BUDGET_GZIP.client);
    expect(client.toString('utf8')).not.toMatch(/tfjs|tensorflow/i);
  });

  it(`keeps the Worker bundle (tfjs and the model code) under ${BUDGET_GZIP.worker} bytes gzipped`, () => {
    expect(gzipSync(pick(/worker-entry-.*\.js$/)).length).toBeLessThanOrEqual(BUDGET_GZIP.worker);
  });

  it('drops developer-only error hints (src/dev.ts) from the production Worker and page client', async () => {
    // One hint from each side; the sources must still hold them, or this test proves nothing.
    const workerHint = 'track only catalogue items';
    const clientHint = 'call setConsent(true) once the shopper agrees';
    expect(await readFile('src/browser/worker-runtime.ts', 'utf8')).toContain(workerHint);
    expect(await readFile('src/browser/main-client.ts', 'utf8')).toContain(clientHint);
    expect(pick(/worker-entry-.*\.js$/).toString('utf8')).not.toContain(workerHint);
    expect(pick(/^main-client-.*\.js$/).toString('utf8')).not.toContain(clientHint);
    // The short message and the code stay.
    expect(pick(/^main-client-.*\.js$/).toString('utf8')).toContain('consent-required');
  });
});
