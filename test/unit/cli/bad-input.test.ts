/**
 * The CLI layer under bad input, as a careful but unlucky (or hostile) user would give
 * it: each case runs `train` or `eval` as a child process on tiny generated files and
 * asserts the exit code, the typed error code or the message naming the problem, and
 * that the existing model directory it points at was left untouched. Every case fails
 * before tfjs loads, so the whole table takes seconds per case, not minutes.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const COMMITTED_MODEL = join(ROOT, 'public', 'models', 'shop');

let dir = '';
let model = '';
/** A port something else already listens on. */
let busyPort = 0;
let busy: Server | null = null;

interface Run {
  code: number;
  stderr: string;
  stdout: string;
}

type Cli = 'train' | 'eval' | 'serve';

function run(cli: Cli, args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(TSX, [join(ROOT, 'src', 'cli', `${cli}.ts`), ...args], { cwd: ROOT, timeout: 60_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
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
  'future.csv': csv(GOOD.map((r) => r.replace(/,\d+$/, `,${Date.UTC(2090, 0, 1)}`))),
  'long-item.csv': csv(GOOD.map((r) => r.replace(/,i(\d+),/, (_, i: string) => `,${'i'.repeat(300)}${i},`))),
  'nul-ids.csv': csv(GOOD.map((r) => r.replace(/^u(\d+),/, 'u$1\u0000,'))),
  'semicolon.csv': [HEADER, ...GOOD].map((r) => r.replaceAll(',', ';')).join('\n'),
  'dup-header.csv': csv([...GOOD.slice(0, 240), HEADER, ...GOOD.slice(240)]),
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'localrec-bad-input-'));
  for (const [name, text] of Object.entries(FILES)) await writeFile(join(dir, name), text);
  await mkdir(join(dir, 'empty-dir'));
  await writeFile(join(dir, 'utf16.csv'), Buffer.from(`\uFEFF${csv(GOOD)}`, 'utf16le'));
  // A directory of someone's other work, and a data directory: a model write would replace either whole.
  await mkdir(join(dir, 'other-work'));
  await writeFile(join(dir, 'other-work', 'notes.txt'), 'mine\n');
  await mkdir(join(dir, 'data-dir'));
  await writeFile(join(dir, 'data-dir', 'events.csv'), csv(GOOD));
  await symlink(COMMITTED_MODEL, join(dir, 'link-to-committed'));
  // A named pipe nobody writes to: reading it would block forever.
  execFileSync('mkfifo', [join(dir, 'fifo.csv')]);
  // An existing, valid model every case points --out at: it must survive every failed run.
  model = join(dir, 'model');
  await cp(COMMITTED_MODEL, model, { recursive: true });
  // A model whose weights.bin has one flipped byte, and one whose manifest is not JSON.
  await cp(COMMITTED_MODEL, join(dir, 'tampered-model'), { recursive: true });
  const w = await readFile(join(dir, 'tampered-model', 'weights.bin'));
  w[100] ^= 0xff;
  await writeFile(join(dir, 'tampered-model', 'weights.bin'), w);
  await cp(COMMITTED_MODEL, join(dir, 'garbled-model'), { recursive: true });
  await writeFile(join(dir, 'garbled-model', 'manifest.json'), '{"format": "localrec-model", ');
  busy = createServer();
  await new Promise<void>((res) => busy!.listen(0, '127.0.0.1', res));
  busyPort = (busy.address() as { port: number }).port;
});

afterAll(async () => {
  busy?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Case {
  /** What the user did, read as "train/eval <name> fails …". */
  name: string;
  cli?: Cli;
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
  /** Environment for the child (serve reads its secret from LOCALREC_FED_SECRET). */
  env?: Record<string, string>;
}

const data = (name: string) => ['--data', join(dir, name)];

const CASES: Case[] = [
  // Degenerate data sets: a typed error before any stage runs.
  { name: 'a header-only CSV', args: () => data('header-only.csv'), code: 'data-too-small', message: /no valid interactions/ },
  { name: 'an empty CSV file', args: () => data('empty.csv'), code: 'data-missing-column', message: /header lacks required column\(s\) user \(accepted: user, user_id, user_pseudo_id\); item \(accepted: item, item_id/ },
  { name: 'a CSV of blank lines after its header', args: () => data('blank-lines.csv'), code: 'data-too-small', message: /no valid interactions/ },
  { name: 'a binary file named .csv', args: () => data('binary.csv'), code: 'data-missing-column', message: /header lacks/ },
  { name: 'a CSV whose every timestamp is invalid', args: () => data('all-invalid.csv'), code: 'data-bad-rows', message: /480 of 480 rows are malformed/ },
  { name: 'a CSV whose every timestamp is invalid even with --max-bad-rows 1', args: () => [...data('all-invalid.csv'), '--max-bad-rows', '1'], code: 'data-too-small', message: /no valid interactions/ },
  { name: 'a CSV whose every event type is unknown (skipped by name, not malformed)', args: () => data('bad-types.csv'), code: 'data-too-small', message: /every row another event: teleport 480/ },
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
  { name: 'a --model-version beyond a uint32 (federated rounds carry it as one)', args: () => [...data('good.csv'), '--model-version', String(2 ** 32)], message: /--model-version[\s\S]*at most 4294967295/ },
  { name: 'a --name that climbs out of public/models', args: () => [...data('good.csv'), '--name', '../../etc'], message: /--name[\s\S]*one path segment/ },
  // Hostile or broken files.
  { name: 'a CSV whose timestamps are in 2090', args: () => data('future.csv'), code: 'data-bad-rows', message: /in the future/ },
  { name: 'a CSV whose item ids are longer than the SDK tracks', args: () => data('long-item.csv'), code: 'data-bad-rows', message: /1–256 characters/ },
  { name: 'a CSV whose user ids hold NUL bytes', args: () => data('nul-ids.csv'), code: 'data-bad-rows', message: /control characters/ },
  { name: 'a named pipe named .csv (reading it would block forever)', args: () => data('fifo.csv'), code: 'data-unreadable-file', message: /not a regular file/ },
  { name: 'a semicolon-separated file named .csv', args: () => data('semicolon.csv'), code: 'data-missing-column', message: /separated by ";"/ },
  { name: 'a UTF-16 CSV', args: () => data('utf16.csv'), code: 'data-missing-column', message: /UTF-16/ },
  { name: 'a CSV with its header repeated mid-file under --max-bad-rows 0', args: () => [...data('dup-header.csv'), '--max-bad-rows', '0'], code: 'data-bad-rows', message: /line 242: the header repeated/ },
  // The output directory.
  { name: 'an --out directory holding other files', args: () => [...data('good.csv'), '--out', join(dir, 'other-work')], code: 'output-protected', message: /holds files that are not a model \(notes.txt\)/, ownOut: true },
  { name: 'an --out that is the data directory', args: () => [...data('data-dir'), '--out', join(dir, 'data-dir')], code: 'output-protected', message: /events.csv/, ownOut: true },
  { name: 'an --out symlinked to the committed model', args: () => [...data('good.csv'), '--out', join(dir, 'link-to-committed')], code: 'output-protected', message: /committed model/, ownOut: true },
  { name: 'a --checkpoint-dir inside --out', args: () => [...data('good.csv'), '--checkpoint-dir', join(model, 'ckpt')], code: 'output-unwritable', message: /inside the model directory/, checkpoints: true },
  { name: 'a --report inside --out', args: () => [...data('good.csv'), '--report', join(model, 'report.json')], code: 'output-unwritable', message: /inside the model directory/ },
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
  { name: 'eval with a --resamples that would run for minutes', cli: 'eval', args: () => [...data('good.csv'), '--resamples', '1e12'], message: /--resamples[\s\S]*at most 10000/ },
  { name: 'eval with an unbalanced quote under --max-bad-rows 0', cli: 'eval', args: () => [...data('quote.csv'), '--max-bad-rows', '0'], code: 'data-bad-rows', message: /line 6/ },
  { name: 'eval whose default --out is a committed report', cli: 'eval', args: () => data('shop.csv'), code: 'output-protected', message: /committed report/, ownOut: true },
  // serve checks its flags, the secret, the round policy, the model and the store before it listens.
  ...SERVE_CASES(),
];

/** `npm run serve` rows: each would otherwise listen (and never exit), so a row that is not refused times out and fails. */
function SERVE_CASES(): Case[] {
  const serve = (name: string, args: () => string[], message: RegExp, code?: string): Case => ({
    name: `serve with ${name}`,
    cli: 'serve',
    args: () => ['--model', model, '--data', join(dir, 'fed-store'), '--log-level', 'warn', ...(args().includes('--port') ? [] : ['--port', '0']), ...args()],
    message,
    code,
    ownOut: true,
  });
  return [
    serve('a port above 65535', () => ['--port', '70000'], /--port[\s\S]*at most 65535/),
    serve('a negative port', () => ['--port', '-1'], /--port[\s\S]*at least 0/),
    serve('a port that is not a number', () => ['--port', 'http'], /--port[\s\S]*expected a number/),
    serve('a port already in use', () => ['--port', String(busyPort)], /already in use/, 'federated-config'),
    serve('a host name with invalid characters', () => ['--host', 'bad_host!'], /--host[\s\S]*IP address or a host name/),
    serve('a host that is not this machine', () => ['--host', '203.0.113.7'], /not an address of this machine/, 'federated-config'),
    serve('an origin with a path', () => ['--origin', 'https://shop.example/'], /--origin[\s\S]*no trailing slash/),
    serve('an origin that is not http(s)', () => ['--origin', 'javascript:alert(1)'], /--origin/),
    serve('a Redis URL of another scheme', () => ['--redis', 'http://127.0.0.1:6379'], /--redis[\s\S]*redis:\/\//),
    serve('a Redis server that is not there', () => ['--redis', 'redis://127.0.0.1:1'], /cannot connect/, 'federated-unavailable'),
    serve('zero --min-clients', () => ['--min-clients', '0'], /--min-clients[\s\S]*at least 1/),
    serve('--max-clients below --min-clients', () => ['--min-clients', '10', '--max-clients', '5'], /maxClients/, 'federated-config'),
    serve('a --round-ms beyond a timer', () => ['--round-ms', '1e12'], /--round-ms[\s\S]*at most/),
    serve('a NaN --clip', () => ['--clip', 'NaN'], /--clip[\s\S]*expected a number/),
    serve('an infinite --clip', () => ['--clip', 'Infinity'], /--clip[\s\S]*finite/),
    serve('a negative --central-noise', () => ['--central-noise', '-1'], /--central-noise[\s\S]*at least 0/),
    serve('--central-noise 0 without --no-dp (no DP guarantee)', () => ['--central-noise', '0'], /centralNoise must be > 0[\s\S]*--no-dp/, 'federated-config'),
    serve('the median without --no-dp (no proven DP guarantee)', () => ['--aggregator', 'median'], /'median' has no proven DP guarantee/, 'federated-config'),
    serve('--no-dp with --central-noise', () => ['--no-dp', '--central-noise', '1'], /--no-dp[\s\S]*drop --central-noise/, 'federated-config'),
    serve('--no-dp with --max-epsilon', () => ['--no-dp', '--max-epsilon', '5'], /drop --max-epsilon/, 'federated-config'),
    serve('a zero --max-epsilon', () => ['--max-epsilon', '0'], /--max-epsilon[\s\S]*more than 0/),
    serve('a negative --max-connections-per-address', () => ['--max-connections-per-address', '-1'], /--max-connections-per-address[\s\S]*at least 0/),
    serve('a --request-timeout-ms below 100', () => ['--request-timeout-ms', '10'], /--request-timeout-ms[\s\S]*at least 100/),
    serve('a --trim of one half', () => ['--trim', '0.5'], /--trim[\s\S]*less than 0.5/),
    serve('a --dp-delta of 1', () => ['--dp-delta', '1'], /--dp-delta[\s\S]*less than 1/),
    serve('a zero --tick-ms (rounds would never close by time)', () => ['--tick-ms', '0'], /--tick-ms[\s\S]*at least 1/),
    serve('a fractional --rate-limit', () => ['--rate-limit', '1.5'], /--rate-limit[\s\S]*integer/),
    serve('an unknown --log-level', () => ['--log-level', 'loud'], /--log-level[\s\S]*Allowed choices/),
    serve('a --model directory that does not exist', () => ['--model', join(dir, 'no-model')], /not a model directory/, 'federated-config'),
    serve('a --model that is a file', () => ['--model', join(dir, 'a-file')], /not a model directory/, 'federated-config'),
    serve('a --model whose weights.bin was tampered with', () => ['--model', join(dir, 'tampered-model')], /weights.bin/, 'model-hash-mismatch'),
    serve('a --model whose manifest is not JSON', () => ['--model', join(dir, 'garbled-model')], /--model/, 'model-format'),
    serve('a --data store that is a file', () => ['--data', join(dir, 'a-file')], /not a directory/, 'output-unwritable'),
    { ...serve('no LOCALREC_FED_SECRET', () => [], /LOCALREC_FED_SECRET/, 'federated-config'), env: { LOCALREC_FED_SECRET: '' } },
    { ...serve('a LOCALREC_FED_SECRET shorter than 16 characters', () => [], /at least 16 characters/, 'federated-config'), env: { LOCALREC_FED_SECRET: 'short' } },
  ];
}

describe('the CLIs under bad input', () => {
  let before = '';
  let committed = '';
  beforeAll(async () => {
    before = await digestDir(model);
    committed = await digestDir(COMMITTED_MODEL);
  });

  it.each(CASES)('$name fails with a non-zero exit, names the problem and leaves the existing model untouched', async (c) => {
    const out = c.ownOut ? [] : ['--out', c.cli === 'eval' ? join(dir, 'report') : model];
    const cli = c.cli ?? 'train';
    const flags = cli === 'serve' ? c.args() : [...c.args(), ...out, ...(c.checkpoints ? [] : ['--no-checkpoint'])];
    const res = await run(cli, flags, { LOCALREC_FED_SECRET: 'cli-test-secret-0123456789', ...c.env });
    expect(res.code, res.stderr).toBe(1);
    if (c.code) expect(res.stderr).toContain(`[${c.code}]`);
    // One line a person can act on, and where to read more.
    if (c.code) expect(res.stderr).toMatch(/\(see --help\)\n?$/);
    expect(res.stderr).toMatch(c.message);
    if (c.listed !== undefined) expect(res.stderr.match(/line \d+:/g)).toHaveLength(c.listed);
    // Failing before training means no stage ran and nothing was written.
    expect(res.stdout).not.toMatch(/teacher done|wrote |listening on/);
    expect(await digestDir(model)).toBe(before);
    expect(await digestDir(COMMITTED_MODEL)).toBe(committed);
  });

  it('has at least 25 bad-input kinds', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
  });
});
