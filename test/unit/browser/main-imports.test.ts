/**
 * The main-thread entry points must not pull in tfjs: it is large, and tfjs is one global
 * per page, which belongs in the Worker. Walks the static and dynamic import graph.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s*['"]([^'"]+)['"]/g;

function resolveLocal(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec);
  for (const cand of [base, `${base}.ts`, `${base}/index.ts`]) if (existsSync(cand) && cand.endsWith('.ts')) return cand;
  throw new Error(`cannot resolve ${spec} from ${from}`);
}

/** Every bare package a module can load, and the local files on the way. */
function graph(entry: string): { packages: Map<string, string>; files: Set<string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const todo = [resolve(entry)];
  while (todo.length) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    // `import type` is erased; skip it so a type-only import of worker code is allowed.
    const src = readFileSync(file, 'utf8').replace(/import\s+type\s[^;]+;/g, '').replace(/export\s+type\s[^;]+;/g, '');
    for (const m of src.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const local = resolveLocal(file, spec);
      if (local) todo.push(local);
      else packages.set(spec, file);
    }
  }
  return { packages, files };
}

describe('the main-thread bundle', () => {
  for (const entry of ['src/index.ts', 'src/browser/main-client.ts', 'src/embed/embed.ts']) {
    it(`${entry} reaches no tfjs module and no worker-* file`, () => {
      const { packages, files } = graph(entry);
      const tf = [...packages].filter(([p]) => p.startsWith('@tensorflow/'));
      expect(tf).toEqual([]);
      expect([...files].filter((f) => /worker-/.test(f))).toEqual([]);
    });
  }

  it('the walker does see tfjs behind the Worker entry (so the check above can fail)', () => {
    const { packages } = graph('src/browser/worker-entry.ts');
    expect([...packages.keys()].some((p) => p.startsWith('@tensorflow/tfjs-core'))).toBe(true);
  });
});
