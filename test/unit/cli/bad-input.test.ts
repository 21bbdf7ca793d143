/**
 * The CLI layer under bad input, as a careful but unlucky (or hostile) user would give
 * it: each case runs `train` or `eval` as a child process on tiny generated files and
 * asserts the exit code, the typed error code or the message naming the problem, and
 * that the existing model directory it points at was left untouched. Every case fails
 * before tfjs loads, so the whole table takes seconds per case, not minutes.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const COMMITTED_MODEL = join(ROOT, 'public', 'models', 'shop');

let dir = '';
let model = '';

interface Run {
  code: number;
  stderr: string;
  stdout: string;
}

function run(cli: 'train' | 'eval', args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(TSX, [join(ROOT, 'src', 'cli', `${cli}.ts`), ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      done({ code, stdout, stderr });
    });
  });
}

/** A digest of every file in a directory, to show nothing in it changed. */
async function digestDir(path: string): Promise<string> {
  const h = createHash('sha256');
  for (const name of (await readdir(path)).sort()) h.update(name).update(await readFile(join(path, name)));
  return h.digest('hex');
}

const HEADER = 'user,item,type,timestamp';
const T0 = 1_700_000_000_000;

/** `users` users with `per` interactions each over `items` items, deterministic. */
function events(users: number, per: number, items: number): string[] {
  const rows: string[] = [];
  for (let u = 0; u < users; u++) for (let j = 0; j < per; j++) rows.push(`u${u},i${(u * 7 + j * 3) % items},view,${T0 + u * 1000 + j}`);
  return rows;
}

const csv = (rows: string[]) => [HEADER, ...rows].join('\n') + '\n';
const GOOD = events(60, 8, 20);

/** Files written into the temp directory before the cases run. */
const FILES: Record<string, string> = {
  'good.csv': csv(GOOD),
  // Ingested under the name 'shop', so eval's default --out is the committed reports/shop.
  'shop.csv': csv(GOOD),
  'header-only.csv': `${HEADER}\n`,
  'empty.csv': '',
  'blank-lines.csv': `${HEADER}\n\n\n   \n`,
  'binary.csv': '\u0000\u0001\uFFFD garbage\n\u0000\n',
  'all-invalid.csv': csv(GOOD.map((r) => r.replace(/,\d+$/, ',not-a-time'))),
  'bad-types.csv': csv(GOOD.map((r) => r.replace(',view,', ',teleport,'))),
  'single-item.csv': csv(events(60, 8, 1)),
  'one-each.csv': csv(events(200, 1, 20)),
  'single-user.csv': csv(events(1, 30, 20)),
  // Numeric ids fall in fold id % 5: leaving out ids ≡ 1 leaves the validation fold empty.
  'no-validation.csv': csv(events(50, 8, 20).filter((r) => Number(/^u(\d+)/.exec(r)![1]) % 5 !== 1).map((r) => r.slice(1))),
  'repeats-one-item.csv': csv(Array.from({ length: 60 * 8 }, (_, j) => `u${j % 60},i${j % 60},view,${T0 + j}`)),
  'quote.csv': csv([...GOOD.slice(0, 4), 'u1,"i3,view,1700000000999', ...GOOD.slice(4)]),
  'many-bad.csv': csv([...GOOD, ...Array.from({ length: 30 }, (_, i) => `u${i},i1,view,yesterday-${i}`)]),
  'wrong-width.csv': csv(GOOD.map((r, i) => (i % 2 === 0 ? `${r},extra` : r))),
  'no-timestamp.csv': ['user,item,type', ...GOOD.map((r) => r.replace(/,\d+$/, ''))].join('\n'),
  'no-type.csv': ['user,item,timestamp', ...GOOD.map((r) => r.replace(',view,', ','))].join('\n'),
  'negative-rating.csv': ['user,item,type,timestamp,rating', ...GOOD.map((r) => r.replace(',view,', ',rating,') + ',abc')].join('\n'),
  'events.txt': csv(GOOD),
  'all-invalid.jsonl': GOOD.map(() => '{not json').join('\n'),
  'arrays.jsonl': GOOD.map(() => '[1,2,3]').join('\n'),
  'a-file': 'just a file\n',
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'localrec-bad-input-'));
  for (const [name, text] of Object.entries(FILES)) await writeFile(join(dir, name), text);
  await mkdir(join(dir, 'empty-dir'));
  // An existing, valid model every case points --out at: it must survive every failed run.
  model = join(dir, 'model');
  await cp(COMMITTED_MODEL, model, { recursive: true });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Case {
  /** What the user did, read as "train/eval <name> fails …". */
  name: string;
  cli?: 'train' | 'eval';
  args: () => string[];
  /** The LocalrecError code printed, or a fragment of commander's message naming the flag. */
  code?: string;
  message: RegExp;
  /** How many bad lines the message lists. */
  listed?: number;
  /** Leave checkpoints on (every other case passes --no-checkpoint, so no case can leave a cache behind). */
  checkpoints?: boolean;
  /** Leave out the default `--out <existing model>`. */
  ownOut?: boolean;
}

const data = (name: string) => ['--data', join(dir, name)];

const CASES: Case[] = [
  // Degenerate data sets: a typed error before any stage runs.
  { name: 'a header-only CSV', args: () => data('header-only.csv'), code: 'data-too-small', message: /no valid interactions/ },
  { name: 'an empty CSV file', args: () => data('empty.csv'), code: 'data-missing-column', message: /user, item, timestamp/ },
  { name: 'a CSV of blank lines after its header', args: () => data('blank-lines.csv'), code: 'data-too-small', message: /no valid interactions/ },
  { name: 'a binary file named .csv', args: () => data('binary.csv'), code: 'data-missing-column', message: /header lacks/ },
  { name: 'a CSV whose every timestamp is invalid', args: () => data('all-invalid.csv'), code: 'data-bad-rows', message: /480 of 480 rows are malformed/ },
  { name: 'a CSV whose every timestamp is invalid even with --max-bad-rows 1', args: () => [...data('all-invalid.csv'), '--max-bad-rows', '1'], code: 'data-too-small', message: /no valid interactions/ },
  { name: 'a CSV whose every event type is unknown', args: () => data('bad-types.csv'), code: 'data-bad-rows', message: /line 2/ },
  { name: 'a data set with a single item', args: () => data('single-item.csv'), code: 'data-too-small', message: /1 item; at least 2 distinct items/ },
  { name: 'a data set where every user has one interaction', args: () => data('one-each.csv'), code: 'data-too-small', message: /2 or more interactions/ },
  { name: 'a data set with a single user', args: () => data('single-user.csv'), code: 'data-too-small', message: /1 user/ },
  { name: 'a data set with no user in the validation fold', args: () => data('no-validation.csv'), code: 'data-too-small', message: /no validation user[\s\S]*0 users there/ },
  { name: 'a data set where every user saw one distinct item', args: () => data('repeats-one-item.csv'), code: 'data-too-small', message: /2 or more interactions/ },
  { name: 'a CSV with one unbalanced quote under --max-bad-rows 0', args: () => [...data('quote.csv'), '--max-bad-rows', '0'], code: 'data-bad-rows', message: /1 of 481 rows[\s\S]*line 6: malformed CSV \(unbalanced quote/ },
  { name: 'a CSV with more than 1% bad rows, listing the first ten', args: () => data('many-bad.csv'), code: 'data-bad-rows', message: /30 of 510 rows/, listed: 10 },
  { name: 'a CSV with rows of the wrong width', args: () => data('wrong-width.csv'), code: 'data-bad-rows', message: /expected 4 columns, found 5/ },
  { name: 'a CSV without a timestamp column', args: () => data('no-timestamp.csv'), code: 'data-missing-column', message: /timestamp/ },
  { name: 'a CSV without a type column', args: () => data('no-type.csv'), code: 'data-missing-column', message: /type/ },
  { name: 'a CSV of ratings that are not numbers', args: () => data('negative-rating.csv'), code: 'data-bad-rows', message: /rows are malformed/ },
  { name: 'an events file with an unknown extension', args: () => data('events.txt'), code: 'data-format', message: /unknown file type/ },
  { name: 'a JSONL file of invalid JSON', args: () => data('all-invalid.jsonl'), code: 'data-bad-rows', message: /invalid JSON/ },
  { name: 'a JSONL file of arrays', args: () => data('arrays.jsonl'), code: 'data-bad-rows', message: /expected a JSON object/ },
  { name: 'a data path that does not exist', args: () => data('missing.csv'), code: 'data-bad-spec', message: /not "movielens"/ },
  { name: 'a data directory without events', args: () => data('empty-dir'), code: 'data-missing-file', message: /neither ratings.csv/ },
  { name: 'a shop seed that is not an integer', args: () => ['--data', 'shop:abc'], code: 'data-bad-spec', message: /shop seed must be an integer/ },
  // Flag values: refused while parsing, naming the flag.
  { name: '--inner-steps above the SDK cap', args: () => [...data('good.csv'), '--inner-steps', '150'], message: /--inner-steps[\s\S]*at most 100/ },
  { name: '--inner-steps 1000000 (which used to hang)', args: () => [...data('good.csv'), '--inner-steps', '1000000'], message: /--inner-steps[\s\S]*at most 100/ },
  { name: 'a non-numeric --inner-lr', args: () => [...data('good.csv'), '--inner-lr', 'abc'], message: /--inner-lr[\s\S]*expected a number/ },
  { name: 'an absurd --inner-lr', args: () => [...data('good.csv'), '--inner-lr', '1e9'], message: /--inner-lr[\s\S]*at most/ },
  { name: 'a blank --meta-lr', args: () => [...data('good.csv'), '--meta-lr', ''], message: /--meta-lr[\s\S]*expected a number/ },
  { name: 'a negative --meta-lr', args: () => [...data('good.csv'), '--meta-lr', '-1'], message: /--meta-lr[\s\S]*positive/ },
  { name: 'zero --teacher-epochs', args: () => [...data('good.csv'), '--teacher-epochs', '0'], message: /--teacher-epochs[\s\S]*positive integer/ },
  { name: 'a huge --meta-steps', args: () => [...data('good.csv'), '--meta-steps', '1e12'], message: /--meta-steps[\s\S]*at most/ },
  { name: 'a fractional --student-epochs', args: () => [...data('good.csv'), '--student-epochs', '1.5'], message: /--student-epochs[\s\S]*integer/ },
  { name: 'a zero support size in --validation-ks', args: () => [...data('good.csv'), '--validation-ks', '0,3'], message: /--validation-ks[\s\S]*positive/ },
  { name: 'an infinite --recency-half-life', args: () => [...data('good.csv'), '--recency-half-life', 'Infinity'], message: /--recency-half-life/ },
  { name: 'an unknown --validation-view', args: () => [...data('good.csv'), '--validation-view', 'nope'], message: /--validation-view[\s\S]*expected one of/ },
  { name: 'a --max-bad-rows above 1', args: () => [...data('good.csv'), '--max-bad-rows', '2'], message: /--max-bad-rows[\s\S]*share from 0 to 1/ },
  { name: 'a non-numeric --max-bad-rows', args: () => [...data('good.csv'), '--max-bad-rows', 'lots'], message: /--max-bad-rows[\s\S]*expected a number/ },
  { name: 'a negative --seed', args: () => [...data('good.csv'), '--seed', '-1'], message: /--seed[\s\S]*non-negative/ },
  { name: 'a --name that climbs out of public/models', args: () => [...data('good.csv'), '--name', '../../etc'], message: /--name[\s\S]*one path segment/ },
  // The output directory.
  { name: 'the default --out over the committed shop model', args: () => [...data('good.csv'), '--name', 'shop'], code: 'output-protected', message: /--force/, ownOut: true },
  { name: 'an --out inside the committed model directory', args: () => [...data('good.csv'), '--out', join(COMMITTED_MODEL, '..', 'shop')], code: 'output-protected', message: /committed model/, ownOut: true },
  { name: 'an --out that is a file', args: () => [...data('good.csv'), '--out', join(dir, 'a-file')], code: 'output-unwritable', message: /not a directory/, ownOut: true },
  { name: 'an --out below a file', args: () => [...data('good.csv'), '--out', join(dir, 'a-file', 'model')], code: 'output-unwritable', message: /not a directory/, ownOut: true },
  { name: 'a --report path that is a directory', args: () => [...data('good.csv'), '--report', join(dir, 'empty-dir')], code: 'output-unwritable', message: /is a directory/ },
  { name: 'a --checkpoint-dir below a file', args: () => [...data('good.csv'), '--checkpoint-dir', join(dir, 'a-file', 'ckpt')], code: 'output-unwritable', message: /not a directory/, checkpoints: true },
  // eval checks the same inputs before fitting anything.
  { name: 'eval of a header-only CSV', cli: 'eval', args: () => data('header-only.csv'), code: 'data-too-small', message: /no valid interactions/ },
  { name: 'eval of a single-user data set', cli: 'eval', args: () => data('single-user.csv'), code: 'data-too-small', message: /user/ },
  { name: 'eval with --inner-steps above the SDK cap', cli: 'eval', args: () => [...data('good.csv'), '--inner-steps', '101'], message: /--inner-steps[\s\S]*at most 100/ },
  { name: 'eval with an unbalanced quote under --max-bad-rows 0', cli: 'eval', args: () => [...data('quote.csv'), '--max-bad-rows', '0'], code: 'data-bad-rows', message: /line 6/ },
  { name: 'eval whose default --out is a committed report', cli: 'eval', args: () => data('shop.csv'), code: 'output-protected', message: /committed report/, ownOut: true },
];

describe('the CLIs under bad input', () => {
  let before = '';
  let committed = '';
  beforeAll(async () => {
    before = await digestDir(model);
    committed = await digestDir(COMMITTED_MODEL);
  });

  it.each(CASES)('$name fails with a non-zero exit, names the problem and leaves the existing model untouched', async (c) => {
    const out = c.ownOut ? [] : ['--out', c.cli === 'eval' ? join(dir, 'report') : model];
    const res = await run(c.cli ?? 'train', [...c.args(), ...out, ...(c.checkpoints ? [] : ['--no-checkpoint'])]);
    expect(res.code, res.stderr).toBe(1);
    if (c.code) expect(res.stderr).toContain(`[${c.code}]`);
    expect(res.stderr).toMatch(c.message);
    if (c.listed !== undefined) expect(res.stderr.match(/line \d+:/g)).toHaveLength(c.listed);
    // Failing before training means no stage ran and nothing was written.
    expect(res.stdout).not.toMatch(/teacher done|wrote /);
    expect(await digestDir(model)).toBe(before);
    expect(await digestDir(COMMITTED_MODEL)).toBe(committed);
  });

  it('has at least 25 bad-input kinds', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
  });
});
