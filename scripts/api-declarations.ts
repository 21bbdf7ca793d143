/**
 * The package's type declarations and its API reference, both from the source.
 *
 * tsc emits a .d.ts per source file into a scratch folder; API Extractor then rolls each
 * public entry point into one self-contained file (dist/lib/index.d.ts, embed.d.ts,
 * widget.d.ts), so a shop that type-checks with `skipLibCheck: false` never meets the
 * internal modules (and their valibot imports) that the entry points do not expose. A type
 * reachable from an entry point but not exported by it fails the build
 * (`ae-forgotten-export`), which is how "every type you can meet you can import" is kept.
 *
 * With `docs`, the same run writes the API reference: an API report per entry point
 * (`<name>.api.md`, every exported signature) and, through API Documenter, one Markdown
 * page per exported item with its doc comment (docs/api/, `npm run api`). `npm run
 * api:check` writes it to a scratch folder and fails when docs/api differs, so the
 * committed reference always matches the source.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompilerState, Extractor, ExtractorConfig, ExtractorLogLevel, type ExtractorMessage, type IConfigFile } from '@microsoft/api-extractor';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The package's entry points: their emitted declaration, the rolled-up file, the report's name. */
export const ENTRY_POINTS = [
  { source: 'index.d.ts', rollup: 'index.d.ts', name: 'localrec', importPath: 'localrec', globals: [] },
  { source: 'embed/element.d.ts', rollup: 'widget.d.ts', name: 'localrec-widget', importPath: 'localrec/widget', globals: ['embed/element.d.ts'] },
  { source: 'embed/window.d.ts', rollup: 'embed.d.ts', name: 'localrec-embed', importPath: 'localrec/embed', globals: ['embed/queue.d.ts', 'embed/element.d.ts'] },
] as const;

/** The `declare global { … }` blocks of a declaration file (brace-matched). */
function globalBlocks(text: string): string[] {
  const blocks: string[] = [];
  for (let at = text.indexOf('declare global {'); at >= 0; at = text.indexOf('declare global {', at + 1)) {
    let depth = 0;
    for (let i = text.indexOf('{', at); i < text.length; i++) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}' && --depth === 0) {
        blocks.push(text.slice(at, i + 1));
        break;
      }
    }
  }
  return blocks;
}

/**
 * API Extractor drops `declare global` augmentations from a rollup; they are copied in
 * from the files that declare them (`globals` of the entry point: `window.localrec`, the
 * widget's tag in HTMLElementTagNameMap). The types they name are the entry's own exports.
 */
function addGlobals(file: string, typesDir: string, sources: readonly string[]): void {
  const blocks = sources.flatMap((f) => globalBlocks(readFileSync(join(typesDir, f), 'utf8')));
  if (blocks.length < sources.length) throw new Error(`expected a declare global block in each of ${sources.join(', ')}`);
  const text = readFileSync(file, 'utf8').replace(/\nexport \{ \}\s*$/, '\n');
  writeFileSync(file, `${text}${blocks.join('\n\n')}\n\nexport { }\n`);
}

/** tsc's per-file declarations of the public entry points (tsconfig.package.json) into `dir`. */
function emitDeclarations(dir: string): void {
  const tsc = join(ROOT, 'node_modules/.bin/tsc');
  execFileSync(tsc, ['-p', join(ROOT, 'tsconfig.package.json'), '--outDir', dir], { cwd: ROOT, stdio: 'inherit' });
}

/**
 * The widget and embed entry points mention the client's types (Localrec, Recommendation,
 * …): their declarations import them from 'localrec', the package's main entry, instead of
 * carrying a second copy of the whole API.
 */
function importMainEntry(typesDir: string): void {
  // A copy as an installed package beside the scratch folder: API Extractor keeps imports
  // that resolve into a node_modules folder as imports, and inlines everything else.
  const installed = join(typesDir, '../node_modules/localrec');
  cpSync(typesDir, installed, { recursive: true });
  writeFileSync(join(installed, 'package.json'), JSON.stringify({ name: 'localrec', types: 'index.d.ts' }));
  const dir = join(typesDir, 'embed');
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.d.ts')) continue;
    const path = join(dir, name);
    const text = readFileSync(path, 'utf8').replace(/(\bfrom\s*|\bimport\(\s*)(['"])\.\.\/[^'"]+\2/g, "$1'localrec'");
    writeFileSync(path, text);
  }
}

interface RollupOptions {
  /** Where the rolled-up .d.ts files go (dist/lib). */
  outDir?: string;
  /** Where the API reports and the doc model go; no reports without it. */
  docsDir?: string;
}

function prepare(typesDir: string, entry: (typeof ENTRY_POINTS)[number], opts: RollupOptions, scratch: string): ExtractorConfig {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  const configObject: IConfigFile = {
    projectFolder: ROOT,
    mainEntryPointFilePath: join(typesDir, entry.source),
    compiler: {
      overrideTsconfig: {
        compilerOptions: {
          ...{ target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM', 'DOM.Iterable'], types: [], strict: true },
          // The scratch folder is outside the project: packages resolve from the project's node_modules.
          paths: { '*': [join(ROOT, 'node_modules/*')] },
          // Consumers' view with skipLibCheck: false is tested on the packed package (test/e2e/package.spec.ts).
          skipLibCheck: true,
        },
        files: [join(typesDir, entry.source)],
      },
    },
    dtsRollup: { enabled: opts.outDir !== undefined, untrimmedFilePath: opts.outDir ? join(opts.outDir, entry.rollup) : '' },
    apiReport: { enabled: opts.docsDir !== undefined, reportFileName: entry.name, reportFolder: join(scratch, 'reports'), reportTempFolder: join(scratch, 'reports-temp') },
    docModel: { enabled: opts.docsDir !== undefined, apiJsonFilePath: join(scratch, 'model', `${entry.name}.api.json`) },
    tsdocMetadata: { enabled: false },
    newlineKind: 'lf',
    messages: {
      compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Error } },
      extractorMessageReporting: {
        default: { logLevel: ExtractorLogLevel.Warning },
        // A type the consumer can meet but not import.
        'ae-forgotten-export': { logLevel: ExtractorLogLevel.Error, addToApiReportFile: false },
        // No @public/@beta tags: the whole package is one release.
        'ae-missing-release-tag': { logLevel: ExtractorLogLevel.None },
        // Listed in the API report instead ("(undocumented)"), where a reviewer sees them.
        'ae-undocumented': { logLevel: ExtractorLogLevel.None },
      },
      // The comments are written for people reading the source, not to the TSDoc grammar.
      tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
    },
  };
  return ExtractorConfig.prepare({
    configObject,
    configObjectFullPath: undefined,
    packageJsonFullPath: join(ROOT, 'package.json'),
    // Each entry point is its own package to API Documenter, named by its import path.
    packageJson: { ...pkg, name: entry.name },
  });
}

function extract(config: ExtractorConfig, compilerState: CompilerState, typesDir: string, entry: (typeof ENTRY_POINTS)[number], opts: RollupOptions): void {
  const problems: string[] = [];
  Extractor.invoke(config, {
    compilerState,
    localBuild: true,
    messageCallback: (m: ExtractorMessage) => {
      // console-* messages are about the report file (created, changed), which --check compares itself.
      const serious = m.logLevel === ExtractorLogLevel.Error || m.logLevel === ExtractorLogLevel.Warning;
      if (serious && !m.messageId.startsWith('console-')) problems.push(m.formatMessageWithLocation(ROOT));
      m.handled = true;
    },
  });
  // Not result.succeeded: a new or changed report file counts against it, and --check compares the files itself.
  if (problems.length) throw new Error(`API Extractor on ${entry.importPath}:\n${problems.join('\n')}`);
  if (opts.outDir && entry.globals.length) addGlobals(join(opts.outDir, entry.rollup), typesDir, entry.globals);
}

/**
 * Rolls the declarations up into `outDir` and, with `docsDir`, writes the API reference
 * there (reports plus one Markdown page per item).
 */
export function buildDeclarations(opts: RollupOptions): void {
  const scratch = mkdtempSync(join(tmpdir(), 'localrec-types-'));
  try {
    const typesDir = join(scratch, 'emitted');
    emitDeclarations(typesDir);
    importMainEntry(typesDir);
    for (const d of ['reports', 'reports-temp']) mkdirSync(join(scratch, d));
    const configs = ENTRY_POINTS.map((entry) => prepare(typesDir, entry, opts, scratch));
    // One TypeScript program for the three entry points.
    const compilerState = CompilerState.create(configs[0], { additionalEntryPoints: configs.slice(1).map((c) => c.mainEntryPointFilePath) });
    ENTRY_POINTS.forEach((entry, i) => extract(configs[i], compilerState, typesDir, entry, opts));
    if (opts.docsDir) {
      const documenter = join(ROOT, 'node_modules/.bin/api-documenter');
      // API Documenter empties its output folder first, so the reports are copied in after it.
      execFileSync(documenter, ['markdown', '-i', join(scratch, 'model'), '-o', opts.docsDir], { cwd: ROOT, stdio: 'ignore' });
      cpSync(join(scratch, 'reports'), opts.docsDir, { recursive: true });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function filesUnder(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

const DOCS = join(ROOT, 'docs/api');

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const fresh = mkdtempSync(join(tmpdir(), 'localrec-api-'));
    try {
      buildDeclarations({ docsDir: fresh });
      const want = filesUnder(fresh);
      const have = filesUnder(DOCS);
      const stale = [...new Set([...want.keys(), ...have.keys()])].filter((f) => want.get(f) !== have.get(f)).sort();
      if (stale.length) {
        console.error(`docs/api is not what the source generates (${stale.length} files differ: ${stale.slice(0, 8).join(', ')}${stale.length > 8 ? ', …' : ''}); run \`npm run api\`.`);
        process.exit(1);
      }
      console.log(`docs/api is current (${want.size} files)`);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  } else {
    rmSync(DOCS, { recursive: true, force: true });
    mkdirSync(DOCS, { recursive: true });
    buildDeclarations({ docsDir: DOCS });
    console.log(`wrote ${relative(ROOT, DOCS)}`);
  }
}
