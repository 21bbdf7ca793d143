/**
 * `npm run serve -- --model public/models/shop --data .cache/federated --origin https://shop.example`
 * The federated aggregation server (see docs/federated.md). Client tokens are verified
 * with the secret(s) in LOCALREC_FED_SECRET (comma-separated: first current, others
 * still accepted while rotating). `npm run serve -- token <subject>` prints a token.
 *
 * Every input is checked before the server starts, as train and eval check theirs: flag
 * values while parsing (with bounds), then the secret, the round policy, the model
 * directory (read and verified) and the store; a failure prints the flag or
 * `LocalrecError [code]: message` and exits 1.
 */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import * as v from 'valibot';
import { isLocalrecError, LocalrecError } from '../errors';
import type { Aggregator } from '../federated/aggregate';
import { DEFAULT_LIMITS, type ConnectionLimits } from '../federated/http/limits';
import { checkPolicy, DEFAULT_POLICY, NO_DP, type RoundPolicy } from '../federated/round';
import { startFederatedServer } from '../federated/start';
import { mintToken } from '../federated/token';
import { readModelDir } from '../model/files-node';
import { argParser, intFlag, numberFlag } from './options';
import { checkOutputDir } from './check-input';
import { failureLine } from './fail';

function secrets(): string[] {
  const s = (process.env.LOCALREC_FED_SECRET ?? '').split(',').filter((x) => x.length > 0);
  if (s.length === 0 || s.some((x) => x.length < 16)) {
    throw new LocalrecError('federated-config', 'set LOCALREC_FED_SECRET to a secret of at least 16 characters (comma-separate several to rotate)');
  }
  return s;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const host = argParser('text', v.union([v.pipe(v.string(), v.ip()), v.pipe(v.string(), v.regex(HOSTNAME))], 'expected an IP address or a host name'));

/** A shop origin for CORS: scheme, host and optional port, nothing else (a path or trailing slash would never match). */
function isOrigin(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === text;
  } catch {
    return false;
  }
}
const origin = argParser('text', v.pipe(v.string(), v.check(isOrigin, 'expected an origin such as https://shop.example (no path, no trailing slash)')));
const addOrigin = (text: string, previous: string[]) => [...previous, origin(text)];

const redisUrl = argParser(
  'text',
  v.pipe(
    v.string(),
    v.check((t) => URL.canParse(t) && /^rediss?:$/.test(new URL(t).protocol), 'expected a redis:// or rediss:// URL'),
  ),
);
const nonBlank = argParser('text', v.pipe(v.string(), v.trim(), v.minLength(1, 'expected a path')));

/** setTimeout's limit: a longer round would close at once. */
const MAX_MS = 2 ** 31 - 1;
const MAX_CLIENTS = 1_000_000;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

interface ServeFlags extends ConnectionLimits {
  model: string;
  data: string;
  redis?: string;
  host: string;
  port: number;
  origin: string[];
  minClients: number;
  maxClients: number;
  roundMs: number;
  clip: number;
  localNoise: number;
  centralNoise: number;
  aggregator: Aggregator;
  trim: number;
  dpDelta: number;
  population: number;
  expectedClients: number;
  serverLr: number;
  dp: boolean;
  maxEpsilon: number;
  reports: boolean;
  reportNoise: number;
  rateLimit: number;
  tickMs: number;
  logLevel: string;
}

/** Flags that set noise or the budget, which `--no-dp` contradicts. */
const DP_FLAGS = ['centralNoise', 'maxEpsilon', 'reportNoise'] as const;

function policyOf(o: ServeFlags): RoundPolicy {
  return {
    ...DEFAULT_POLICY,
    minClients: o.minClients,
    maxClients: o.maxClients,
    durationMs: o.roundMs,
    clip: o.clip,
    localNoise: o.localNoise,
    centralNoise: o.centralNoise,
    aggregator: o.aggregator,
    trim: o.trim,
    serverLr: o.serverLr,
    dpDelta: o.dpDelta,
    population: o.population,
    expectedClients: o.expectedClients,
    dp: o.dp,
    maxEpsilon: o.maxEpsilon,
    reports: o.reports,
    reportNoise: o.reportNoise,
    ...(o.dp ? {} : NO_DP),
  };
}

function limitsOf(o: ServeFlags): ConnectionLimits {
  return {
    requestTimeoutMs: o.requestTimeoutMs,
    headersTimeoutMs: o.headersTimeoutMs,
    idleTimeoutMs: o.idleTimeoutMs,
    maxConnectionsPerAddress: o.maxConnectionsPerAddress,
    maxConnections: o.maxConnections,
    maxHeaderBytes: o.maxHeaderBytes,
  };
}

/** The checks that need more than one flag or the disk, before anything listens. */
async function checkInputs(o: ServeFlags, explicit: (flag: string) => boolean): Promise<{ tokenSecrets: string[]; policy: RoundPolicy }> {
  const tokenSecrets = secrets();
  const contradicting = DP_FLAGS.filter(explicit);
  if (!o.dp && contradicting.length > 0) {
    throw new LocalrecError('federated-config', `--no-dp turns central noise and the budget off; drop ${contradicting.map((f) => `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(' and ')}`);
  }
  const policy = policyOf(o);
  checkPolicy(policy);
  const dir = resolve(o.model);
  try {
    await readModelDir(dir);
  } catch (e) {
    if (isLocalrecError(e)) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new LocalrecError('federated-config', `--model ${dir} is not a model directory (no manifest.json or a listed file is missing)`, { model: dir });
    throw new LocalrecError('model-format', `--model ${dir}: ${e instanceof Error ? e.message : String(e)}`, { model: dir });
  }
  if (!o.redis) await checkOutputDir(o.data, { force: true });
  return { tokenSecrets, policy };
}

/** What listen() fails with, as a typed error naming the flag. */
function listenError(e: unknown, o: ServeFlags): unknown {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const where = `${o.host}:${o.port}`;
  if (code === 'EADDRINUSE') return new LocalrecError('federated-config', `--port ${o.port}: ${where} is already in use`, { host: o.host, port: o.port });
  if (code === 'EACCES') return new LocalrecError('federated-config', `--port ${o.port}: not allowed to listen on ${where} (a port below 1024 needs privileges)`, { host: o.host, port: o.port });
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new LocalrecError('federated-config', `--host ${o.host} is not an address of this machine`, { host: o.host });
  // ioredis gives up on an unreachable server with this message (after its retries), not an errno.
  if (o.redis && !isLocalrecError(e) && (code === 'ECONNREFUSED' || /Connection is closed|ECONNREFUSED|ENOTFOUND/.test(String(e)))) {
    return new LocalrecError('federated-unavailable', `--redis ${o.redis}: cannot connect (${e instanceof Error ? e.message : String(e)})`, { redis: o.redis });
  }
  return e;
}

const program = new Command('serve')
  .description('federated aggregation server: rounds, uploads, model versions')
  .option('--model <dir>', 'model directory to publish first when the store is empty', nonBlank, 'public/models/shop')
  .option('--data <dir>', 'file store directory (ignored with --redis)', nonBlank, '.cache/federated')
  .option('--redis <url>', 'share rounds through Redis instead of the file store', redisUrl)
  .option('--host <host>', 'address to listen on', host, '127.0.0.1')
  .option('--port <n>', 'port (0 = any free port)', intFlag(0, 65_535), 8787)
  .option('--origin <url...>', 'shop origins allowed by CORS', addOrigin, [])
  .option('--min-clients <n>', 'updates a round needs before it may close', intFlag(1, MAX_CLIENTS), DEFAULT_POLICY.minClients)
  .option('--max-clients <n>', 'updates that close a round at once (more are refused)', intFlag(1, MAX_CLIENTS), DEFAULT_POLICY.maxClients)
  .option('--round-ms <n>', 'how long a round collects', intFlag(1, MAX_MS), DEFAULT_POLICY.durationMs)
  .option('--clip <x>', 'L2 bound of each delta', numberFlag(0, 1e6, { above: true }), DEFAULT_POLICY.clip)
  .option('--local-noise <x>', 'client-side Gaussian noise, std = x · clip', numberFlag(0, 1e3), DEFAULT_POLICY.localNoise)
  .option('--central-noise <x>', 'server-side Gaussian noise on the sum, std = x · clip (user-level DP needs > 0)', numberFlag(0, 1e3), DEFAULT_POLICY.centralNoise)
  .option('--no-dp', 'publish models WITHOUT differential privacy: no central noise, no budget (logged as a warning)')
  .option('--max-epsilon <x>', 'privacy budget: publish no round that would take central ε above x at --dp-delta; the last model stays served', numberFlag(0, 1e6, { above: true }), DEFAULT_POLICY.maxEpsilon)
  .addOption(new Option('--aggregator <how>', 'how deltas combine').choices(['mean', 'trimmed-mean', 'median']).default(DEFAULT_POLICY.aggregator))
  .option('--trim <x>', 'fraction cut from each end for trimmed-mean', numberFlag(0, 0.5, { below: true }), DEFAULT_POLICY.trim)
  .option('--dp-delta <x>', 'δ at which ε is reported', numberFlag(0, 1, { above: true, below: true }), DEFAULT_POLICY.dpDelta)
  .option('--population <n>', 'estimated devices that may take part (with --expected-clients: ε with sampling amplification; 0 = none claimed)', intFlag(0, 1e9), DEFAULT_POLICY.population)
  .option('--expected-clients <n>', 'devices taking part in a round on average; the mean divides by it (0 = by the count)', intFlag(0, 1e9), DEFAULT_POLICY.expectedClients)
  .option('--report-noise <z>', "central noise multiplier on the devices' quality reports (counted in ε with the deltas)", numberFlag(0, 1e3, { above: true }), DEFAULT_POLICY.reportNoise)
  .option('--no-reports', "collect no quality reports from devices (then the guard cannot roll a version back)")
  .option('--server-lr <x>', 'β in θ ← θ + β·aggregate', numberFlag(0, 100, { above: true }), DEFAULT_POLICY.serverLr)
  .option('--rate-limit <n>', 'uploads per address per minute (0 = off)', intFlag(0, MAX_CLIENTS), 30)
  .option('--request-timeout-ms <n>', 'a request (headers and body) must arrive within this', intFlag(100, MAX_MS), DEFAULT_LIMITS.requestTimeoutMs)
  .option('--headers-timeout-ms <n>', 'request headers must arrive within this', intFlag(100, MAX_MS), DEFAULT_LIMITS.headersTimeoutMs)
  .option('--idle-timeout-ms <n>', 'close a connection with no traffic for this long', intFlag(100, MAX_MS), DEFAULT_LIMITS.idleTimeoutMs)
  .option('--max-connections-per-address <n>', 'open connections per client address (0 = no cap, e.g. behind a proxy that limits)', intFlag(0, MAX_CLIENTS), DEFAULT_LIMITS.maxConnectionsPerAddress)
  .option('--max-connections <n>', 'open connections in all', intFlag(1, MAX_CLIENTS), DEFAULT_LIMITS.maxConnections)
  .option('--max-header-bytes <n>', 'request header size limit (431 above)', intFlag(1024, 1024 * 1024), DEFAULT_LIMITS.maxHeaderBytes)
  .option('--tick-ms <n>', 'how often to check whether the open round should close', intFlag(1, 3_600_000), 1000)
  .addOption(new Option('--log-level <level>', 'pino log level').choices(LOG_LEVELS).default('info'))
  .showHelpAfterError('(see --help)')
  .action(async (o: ServeFlags, cmd: Command) => {
    const { tokenSecrets, policy } = await checkInputs(o, (flag) => cmd.getOptionValueSource(flag) === 'cli');
    const running = await startFederatedServer({
      model: o.model,
      store: o.redis ? { kind: 'redis', url: o.redis } : { kind: 'file', dir: o.data },
      host: o.host,
      port: o.port,
      origins: o.origin,
      tokenSecrets,
      policy,
      rateLimit: o.rateLimit > 0 ? { max: o.rateLimit, windowMs: 60_000 } : false,
      limits: limitsOf(o),
      tickMs: o.tickMs,
      logger: { level: o.logLevel },
    }).catch((e: unknown) => {
      throw listenError(e, o);
    });
    // A line a parent process can wait for (tests, the load benchmark).
    console.log(`localrec federated server listening on ${running.url}`);
    const shutdown = () => void running.stop().then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });

program
  .command('token <subject>')
  .description('print a client token for <subject> (8–64 characters of A-Za-z0-9_-)')
  .option('--ttl-days <n>', 'validity', intFlag(1, 3650), 30)
  .action((subject: string, o: { ttlDays: number }) => {
    console.log(mintToken(secrets()[0], subject, Date.now() + o.ttlDays * 86_400_000));
  });

program.parseAsync().catch((e: unknown) => {
  console.error(failureLine(e));
  process.exit(1);
});
