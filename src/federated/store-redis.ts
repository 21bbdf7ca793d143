/**
 * The scale-out round store: several server processes share one round through Redis
 * (Node only). Keys under `prefix`:
 *
 *   state            hash { roundId, modelVersion, openedAt, phase }: the switch
 *   r:<id>:u         hash clientId → update body: HSETNX makes acceptance exactly-once per client
 *   r:<id>:q         hash clientId → quality report body (quality.ts), the same way
 *   model:<N>        hash { manifest, weights.bin, items.json }: a published version, written before the switch
 *   lock             the single aggregator (SET NX PX with a random token, released by compare-and-delete)
 *
 * Accepting, closing and publishing are Lua scripts, so each is one atomic step against
 * the state: no update is accepted into a round after it closed, and the switch to the
 * next version happens at most once per round. Durability is Redis's: run it with
 * `appendonly yes` and `appendfsync always`, so an acknowledged HSETNX is on disk.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { LocalrecError } from '../errors';
import { decodeModel, type EncodedModel } from '../model/format';
import type { AcceptOutcome, FederatedStore, RecordKind, RoundState, StoredUpdate } from './store';

const KEEP_VERSIONS = 3;

// KEYS[1] state, KEYS[2] updates hash; ARGV roundId, clientId, body, maxClients
const ACCEPT = `
local s = redis.call('HMGET', KEYS[1], 'roundId', 'phase')
if tonumber(s[1]) ~= tonumber(ARGV[1]) then return {'stale', tonumber(s[1])} end
if s[2] ~= 'collecting' then return {'closed', 0} end
local n = redis.call('HLEN', KEYS[2])
if n >= tonumber(ARGV[4]) then return {'closed', n} end
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3]) == 0 then return {'duplicate', n} end
return {'accepted', n + 1}
`;

// KEYS[1] state; ARGV roundId. Stops the round taking updates; true if it is the open round.
const CLOSE = `
local r = redis.call('HGET', KEYS[1], 'roundId')
if tonumber(r) ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'phase', 'aggregating')
return 1
`;

// KEYS[1] state, KEYS[2] old updates hash, KEYS[3] old reports hash; ARGV roundId, modelVersion, openedAt
const SWITCH = `
local r = redis.call('HGET', KEYS[1], 'roundId')
if tonumber(r) ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'roundId', tonumber(ARGV[1]) + 1, 'modelVersion', ARGV[2], 'openedAt', ARGV[3], 'phase', 'collecting')
redis.call('DEL', KEYS[2], KEYS[3])
return 1
`;

/** The hash a round keeps one kind of record in. */
const SUFFIX: Record<RecordKind, string> = { update: 'u', report: 'q' };

// KEYS[1] model hash; ARGV field, value, … Written once: a later aggregator that lost its lock cannot replace a version another already published.
const PUT_MODEL = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
`;

const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export class RedisStore implements FederatedStore {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private readonly models = new Map<number, EncodedModel>();

  constructor(
    url: string,
    private readonly prefix = 'localrec:fed:',
  ) {
    this.redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, enableAutoPipelining: true });
    this.redis.defineCommand('fedAccept', { numberOfKeys: 2, lua: ACCEPT });
    this.redis.defineCommand('fedClose', { numberOfKeys: 1, lua: CLOSE });
    this.redis.defineCommand('fedSwitch', { numberOfKeys: 3, lua: SWITCH });
    this.redis.defineCommand('fedPutModel', { numberOfKeys: 1, lua: PUT_MODEL });
    this.redis.defineCommand('fedUnlock', { numberOfKeys: 1, lua: UNLOCK });
  }

  private key(k: string): string {
    return this.prefix + k;
  }

  private call(name: string, ...args: (string | number | Buffer)[]): Promise<unknown> {
    const fn = (this.redis as unknown as Record<string, (...a: (string | number | Buffer)[]) => Promise<unknown>>)[name];
    return fn.apply(this.redis, args);
  }

  private async writeModel(model: EncodedModel): Promise<void> {
    const v = model.manifest.modelVersion;
    const fields: (string | Buffer)[] = ['manifest', JSON.stringify(model.manifest)];
    for (const [name, bytes] of Object.entries(model.files)) fields.push(name, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    await this.call('fedPutModel', this.key(`model:${v}`), ...fields);
  }

  async open(initial: EncodedModel, now: number): Promise<RoundState> {
    if (this.redis.status === 'wait') await this.redis.connect();
    if (!(await this.redis.exists(this.key('state')))) {
      const v = initial.manifest.modelVersion;
      await this.writeModel(initial);
      // HSETNX on roundId: when several processes start together, one initial state wins.
      const created = await this.redis.hsetnx(this.key('state'), 'roundId', 1);
      if (created) await this.redis.hset(this.key('state'), 'modelVersion', v, 'openedAt', now, 'phase', 'collecting');
    }
    // Another process may be between its HSETNX and HSET: wait for the full state.
    for (let i = 0; i < 50; i++) {
      if (await this.redis.hexists(this.key('state'), 'phase')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.state();
  }

  async state(): Promise<RoundState> {
    const [s, accepted] = await Promise.all([this.redis.hgetall(this.key('state')), this.redis.hget(this.key('state'), 'roundId').then((r) => this.redis.hlen(this.key(`r:${r}:u`)))]);
    if (!s.roundId || !s.phase) throw new LocalrecError('invalid-state', 'the Redis round state is missing');
    return { roundId: Number(s.roundId), modelVersion: Number(s.modelVersion), openedAt: Number(s.openedAt), phase: s.phase === 'aggregating' ? 'aggregating' : 'collecting', accepted };
  }

  async accept(roundId: number, clientId: string, body: Uint8Array, maxClients: number, kind: RecordKind = 'update'): Promise<AcceptOutcome> {
    const r = (await this.call('fedAccept', this.key('state'), this.key(`r:${roundId}:${SUFFIX[kind]}`), roundId, clientId, Buffer.from(body.buffer, body.byteOffset, body.byteLength), maxClients)) as [string, number];
    switch (r[0]) {
      case 'accepted':
        return { status: 'accepted', accepted: r[1] };
      case 'duplicate':
        return { status: 'duplicate' };
      case 'closed':
        return { status: 'closed' };
      default:
        return { status: 'stale', roundId: r[1] };
    }
  }

  async has(roundId: number, clientId: string, kind: RecordKind = 'update'): Promise<boolean> {
    return (await this.redis.hexists(this.key(`r:${roundId}:${SUFFIX[kind]}`), clientId)) === 1;
  }

  async lock(ttlMs: number): Promise<(() => Promise<void>) | null> {
    const token = randomBytes(16).toString('hex');
    const ok = await this.redis.set(this.key('lock'), token, 'PX', ttlMs, 'NX');
    if (ok !== 'OK') return null;
    return async () => {
      await this.call('fedUnlock', this.key('lock'), token);
    };
  }

  async closeRound(roundId: number): Promise<StoredUpdate[] | null> {
    const ok = (await this.call('fedClose', this.key('state'), roundId)) as number;
    if (!ok) return null;
    return this.records(roundId, 'update');
  }

  async reports(roundId: number): Promise<StoredUpdate[]> {
    return this.records(roundId, 'report');
  }

  private async records(roundId: number, kind: RecordKind): Promise<StoredUpdate[]> {
    const all = await this.redis.hgetallBuffer(this.key(`r:${roundId}:${SUFFIX[kind]}`));
    return Object.entries(all).map(([clientId, body]) => ({ clientId, body: new Uint8Array(body) }));
  }

  async publish(roundId: number, model: EncodedModel, now: number): Promise<RoundState> {
    await this.writeModel(model);
    const v = model.manifest.modelVersion;
    const ok = (await this.call('fedSwitch', this.key('state'), this.key(`r:${roundId}:u`), this.key(`r:${roundId}:q`), roundId, v, now)) as number;
    if (!ok) throw new LocalrecError('invalid-state', `round ${roundId} was published by another process`);
    await this.redis.del(this.key(`model:${v - KEEP_VERSIONS}`));
    return this.state();
  }

  async model(version: number): Promise<EncodedModel | null> {
    const cached = this.models.get(version);
    if (cached) return cached;
    const h = await this.redis.hgetallBuffer(this.key(`model:${version}`));
    if (!h.manifest) return null;
    const files: Record<string, Uint8Array> = {};
    for (const [k, b] of Object.entries(h)) if (k !== 'manifest') files[k] = new Uint8Array(b);
    const { manifest } = await decodeModel(JSON.parse(h.manifest.toString('utf8')), files);
    this.models.set(version, { manifest, files });
    for (const v of this.models.keys()) if (v <= version - KEEP_VERSIONS) this.models.delete(v);
    return { manifest, files };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
