/**
 * Model download with verification and a last-good copy.
 *
 * The manifest is fetched fresh each time; when its version and file hashes match the
 * cached copy, the files come from the cache. Otherwise every file is downloaded and
 * verified (decodeModel checks format version and SHA-256 of each file) before it
 * replaces the cached copy, so a corrupt, truncated or mismatched download never
 * replaces a working model: the cached one keeps serving and the typed error is reported.
 */
import { LocalrecError } from '../errors';
import { decodeModel, parseManifest, type LoadedModel } from '../model/format';
import type { ModelManifest } from '../model/manifest';
import type { LocalrecEvent } from './types';

export interface CachedModel {
  manifestJson: unknown;
  files: Record<string, Uint8Array>;
}

/** Where the last good model lives. Keyed by the manifest URL; holds one version per key. */
export interface ModelCache {
  readonly kind: 'cache-storage' | 'memory';
  get(key: string): Promise<CachedModel | null>;
  put(key: string, model: CachedModel): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface LoadResult {
  model: LoadedModel;
  source: 'network' | 'cache';
  /** Set when the network copy was unusable and the cached one is served instead. */
  error: LocalrecError | null;
  ms: number;
}

export interface LoadOptions {
  fetch: typeof fetch;
  cache: ModelCache;
  onEvent?: (e: LocalrecEvent) => void;
}

function asLocalrecError(e: unknown, fallback: string): LocalrecError {
  if (e instanceof LocalrecError) return e;
  return new LocalrecError('model-fetch-failed', `${fallback}: ${e instanceof Error ? e.message : String(e)}`);
}

/** `total` is the manifest's byte count of a listed file (null for the manifest itself). */
async function fetchBytes(url: string, file: string, opts: LoadOptions, total: number | null): Promise<Uint8Array> {
  const res = await opts.fetch(url, { cache: 'no-cache', credentials: 'omit' });
  if (!res.ok) throw new LocalrecError('model-fetch-failed', `GET ${url} answered ${res.status}`, { file, status: res.status });
  opts.onEvent?.({ type: 'download', file, bytes: total ?? 0 });
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    // A listed file longer than its manifest entry is wrong whatever follows: stop reading an endless or huge body.
    if (total !== null && loaded > total) {
      await reader.cancel().catch(() => undefined);
      throw new LocalrecError('model-hash-mismatch', `${file} is longer than the ${total} bytes the manifest lists`, { path: file, expected: total });
    }
    opts.onEvent?.({ type: 'progress', file, loaded, total: total ?? 0 });
  }
  const out = new Uint8Array(loaded);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}

function sameFiles(a: ModelManifest, b: ModelManifest): boolean {
  return (
    a.name === b.name &&
    a.modelVersion === b.modelVersion &&
    a.files.length === b.files.length &&
    a.files.every((f) => b.files.some((g) => g.path === f.path && g.sha256 === f.sha256))
  );
}

async function decodeCached(key: string, opts: LoadOptions): Promise<LoadedModel | null> {
  try {
    // Reading it is inside too: a cached manifest that is not JSON, or lists no files array, is damage like a bad hash.
    const cached = await opts.cache.get(key);
    if (!cached) return null;
    return await decodeModel(cached.manifestJson, cached.files);
  } catch {
    // A damaged cache entry is worth nothing; drop it so the next load starts clean.
    await opts.cache.delete(key).catch(() => undefined);
    return null;
  }
}

export async function loadModel(manifestUrl: string, opts: LoadOptions): Promise<LoadResult> {
  const t0 = performance.now();
  const done = (model: LoadedModel, source: 'network' | 'cache', error: LocalrecError | null): LoadResult => ({
    model,
    source,
    error,
    ms: performance.now() - t0,
  });
  let cachedModel: LoadedModel | null | undefined;
  const cached = async () => (cachedModel === undefined ? (cachedModel = await decodeCached(manifestUrl, opts)) : cachedModel);
  const fallBack = async (error: LocalrecError): Promise<LoadResult> => {
    const c = await cached();
    if (!c) throw error;
    opts.onEvent?.({ type: 'model-error', error: error.toJSON(), usingCachedVersion: c.manifest.modelVersion });
    return done(c, 'cache', error);
  };

  let manifestJson: unknown;
  let manifest: ModelManifest;
  try {
    const bytes = await fetchBytes(manifestUrl, 'manifest.json', opts, null);
    const text = new TextDecoder().decode(bytes);
    try {
      manifestJson = JSON.parse(text);
    } catch {
      // A mistyped model path under a dev server or an SPA fallback answers 200 with the
      // app's index.html: say so, and where, instead of only "not JSON".
      const html = /^\s*</.test(text);
      const what = html ? 'an HTML page, not manifest.json (is the model path right?)' : 'not valid JSON';
      throw new LocalrecError('model-format', `the model URL ${manifestUrl} returned ${what}`, { url: manifestUrl, html });
    }
    manifest = parseManifest(manifestJson);
  } catch (e) {
    return fallBack(asLocalrecError(e, `could not fetch ${manifestUrl}`));
  }

  const c = await cached();
  if (c && sameFiles(c.manifest, manifest)) return done(c, 'cache', null);

  try {
    // In parallel: a first visit waits for the slower file, not for both in a row.
    const files: Record<string, Uint8Array> = Object.fromEntries(
      await Promise.all(manifest.files.map(async (f) => [f.path, await fetchBytes(new URL(f.path, manifestUrl).href, f.path, opts, f.bytes)] as const)),
    );
    const model = await decodeModel(manifestJson, files);
    try {
      await opts.cache.put(manifestUrl, { manifestJson, files });
    } catch {
      // Caching is an optimisation; a full disk must not stop a verified model from loading.
    }
    return done(model, 'network', null);
  } catch (e) {
    return fallBack(asLocalrecError(e, 'model download failed'));
  }
}

/** Cache Storage copy under synthetic URLs next to the manifest; one version per manifest URL. */
export class CacheStorageModelCache implements ModelCache {
  readonly kind = 'cache-storage' as const;
  constructor(
    private readonly storage: CacheStorage,
    private readonly cacheName = 'localrec-models',
  ) {}

  private url(key: string, part: string): string {
    return new URL(`__localrec_cache__/${encodeURIComponent(part)}`, key).href;
  }

  async get(key: string): Promise<CachedModel | null> {
    const cache = await this.storage.open(this.cacheName);
    const m = await cache.match(this.url(key, 'manifest.json'));
    if (!m) return null;
    const manifestJson: unknown = await m.json();
    const listed = (manifestJson as { files?: { path?: unknown }[] }).files ?? [];
    const files: Record<string, Uint8Array> = {};
    for (const f of listed) {
      if (typeof f.path !== 'string') return null;
      const r = await cache.match(this.url(key, f.path));
      if (!r) return null;
      files[f.path] = new Uint8Array(await r.arrayBuffer());
    }
    return { manifestJson, files };
  }

  async put(key: string, model: CachedModel): Promise<void> {
    const cache = await this.storage.open(this.cacheName);
    // Files first, manifest last: a reader that finds the manifest finds its files.
    await cache.delete(this.url(key, 'manifest.json'));
    for (const [path, bytes] of Object.entries(model.files)) {
      await cache.put(this.url(key, path), new Response(bytes as Uint8Array<ArrayBuffer>));
    }
    await cache.put(this.url(key, 'manifest.json'), new Response(JSON.stringify(model.manifestJson), { headers: { 'content-type': 'application/json' } }));
  }

  async delete(key: string): Promise<void> {
    const cache = await this.storage.open(this.cacheName);
    for (const req of await cache.keys()) if (req.url.startsWith(this.url(key, ''))) await cache.delete(req);
  }
}

export class MemoryModelCache implements ModelCache {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, CachedModel>();
  async get(key: string): Promise<CachedModel | null> {
    return this.entries.get(key) ?? null;
  }
  async put(key: string, model: CachedModel): Promise<void> {
    this.entries.set(key, model);
  }
  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }
}

/** Cache Storage when this context can open it (secure contexts, not every private mode), else memory. */
export async function openModelCache(): Promise<ModelCache> {
  try {
    if (typeof caches !== 'undefined') {
      await caches.open('localrec-models');
      return new CacheStorageModelCache(caches);
    }
  } catch {
    // Opaque origins and some private modes throw here; the model still loads, just uncached.
  }
  return new MemoryModelCache();
}
