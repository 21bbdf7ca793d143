/**
 * `npm run serve -- --model public/models/shop --data .cache/federated --origin https://shop.example`
 * The federated aggregation server (see docs/federated.md). Client tokens are verified
 * with the secret(s) in LOCALREC_FED_SECRET (comma-separated: first current, others
 * still accepted while rotating). `npm run serve -- token <subject>` prints a token.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { LocalrecError } from '../errors';
import { startFederatedServer } from '../federated/start';
import { mintToken } from '../federated/token';

function num(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
  return n;
}
function int(value: string): number {
  const n = num(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}

function secrets(): string[] {
  const s = (process.env.LOCALREC_FED_SECRET ?? '').split(',').filter((x) => x.length > 0);
  if (s.length === 0 || s.some((x) => x.length < 16)) {
    throw new LocalrecError('federated-config', 'set LOCALREC_FED_SECRET to a secret of at least 16 characters (comma-separate several to rotate)');
  }
  return s;
}

const program = new Command('serve')
  .description('federated aggregation server: rounds, uploads, model versions')
  .option('--model <dir>', 'model directory to publish first when the store is empty', 'public/models/shop')
  .option('--data <dir>', 'file store directory (ignored with --redis)', '.cache/federated')
  .option('--redis <url>', 'share rounds through Redis instead of the file store')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--port <n>', 'port', int, 8787)
  .option('--origin <url...>', 'shop origins allowed by CORS', [])
  .option('--min-clients <n>', 'updates a round needs before it may close', int, 10)
  .option('--max-clients <n>', 'updates that close a round at once (more are refused)', int, 1000)
  .option('--round-ms <n>', 'how long a round collects', int, 3_600_000)
  .option('--clip <x>', 'L2 bound of each delta', num, 1)
  .option('--local-noise <x>', 'client-side Gaussian noise, std = x · clip', num, 0)
  .option('--central-noise <x>', 'server-side Gaussian noise on the sum, std = x · clip', num, 0)
  .addOption(new Option('--aggregator <how>', 'how deltas combine').choices(['mean', 'trimmed-mean', 'median']).default('mean'))
  .option('--trim <x>', 'fraction cut from each end for trimmed-mean', num, 0.1)
  .option('--dp-delta <x>', 'δ at which ε is reported', num, 1e-6)
  .option('--server-lr <x>', 'β in θ ← θ + β·aggregate', num, 1)
  .option('--rate-limit <n>', 'uploads per address per minute (0 = off)', int, 30)
  .option('--tick-ms <n>', 'how often to check whether the open round should close', int, 1000)
  .option('--log-level <level>', 'pino log level', 'info')
  .action(async (o) => {
    const running = await startFederatedServer({
      model: o.model,
      store: o.redis ? { kind: 'redis', url: o.redis } : { kind: 'file', dir: o.data },
      host: o.host,
      port: o.port,
      origins: o.origin,
      tokenSecrets: secrets(),
      policy: {
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
      },
      rateLimit: o.rateLimit > 0 ? { max: o.rateLimit, windowMs: 60_000 } : false,
      tickMs: o.tickMs,
      logger: { level: o.logLevel },
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
  .option('--ttl-days <n>', 'validity', int, 30)
  .action((subject: string, o: { ttlDays: number }) => {
    console.log(mintToken(secrets()[0], subject, Date.now() + o.ttlDays * 86_400_000));
  });

program.parseAsync().catch((e: unknown) => {
  console.error(String(e));
  process.exit(1);
});
