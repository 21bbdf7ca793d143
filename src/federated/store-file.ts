/**
 * The embedded round store: a directory, no service (Node only).
 *
 *   current.json       { roundId, modelVersion, openedAt }: the switch, replaced by rename
 *   models/v<N>/       each published version, complete before current.json names it
 *   rounds/r<id>.log   the open round's accepted updates and quality reports, append-only
 *   owner.pid          the process that has the directory open (one writer at a time)
 *
 * A log record is [u32 magic][u32 payload length][u32 CRC-32 of payload][payload], the
 * payload [u16 client id length][client id][body]; the body is an update (wire.ts, magic
 * LRFD) or a quality report (quality.ts, magic LRFQ). A record is acknowledged
 * only after its record is written and fdatasync'ed (concurrent uploads share one sync:
 * group commit). After a crash the log is read up to the first torn or corrupt record —
 * necessarily one nobody acknowledged — and truncated there; the client ids in it
 * rebuild the one-per-client sets, so a retried upload is still a duplicate.
 */
import { mkdir, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { LocalrecError } from '../errors';
import type { EncodedModel } from '../model/format';
import { fsyncPath, readModelDir, writeFileAtomic, writeModelDir } from '../model/files-node';
import { REPORT_MAGIC } from './quality';
import type { AcceptOutcome, FederatedStore, RecordKind, RoundState, StoredUpdate } from './store';

const RECORD_MAGIC = 0x5255524c; // "LRUR"
const RECORD_HEADER = 12;
const KEEP_VERSIONS = 3;

interface Current {
  roundId: number;
  modelVersion: number;
  openedAt: number;
}

interface Pending {
  bytes: Uint8Array;
  resolve(): void;
  reject(e: unknown): void;
}

export function encodeRecord(clientId: string, body: Uint8Array): Uint8Array {
  const id = new TextEncoder().encode(clientId);
  const payload = new Uint8Array(2 + id.length + body.length);
  new DataView(payload.buffer).setUint16(0, id.length, true);
  payload.set(id, 2);
  payload.set(body, 2 + id.length);
  const out = new Uint8Array(RECORD_HEADER + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, RECORD_MAGIC, true);
  view.setUint32(4, payload.length, true);
  view.setUint32(8, crc32(payload), true);
  out.set(payload, RECORD_HEADER);
  return out;
}

/** Reads records up to the first incomplete or corrupt one; `validBytes` is where that one starts. */
export function decodeRecords(log: Uint8Array): { updates: StoredUpdate[]; validBytes: number } {
  const updates: StoredUpdate[] = [];
  const view = new DataView(log.buffer, log.byteOffset, log.byteLength);
  let o = 0;
  while (o + RECORD_HEADER <= log.length) {
    if (view.getUint32(o, true) !== RECORD_MAGIC) break;
    const len = view.getUint32(o + 4, true);
    if (len < 2 || o + RECORD_HEADER + len > log.length) break;
    const payload = log.subarray(o + RECORD_HEADER, o + RECORD_HEADER + len);
    if (crc32(payload) !== view.getUint32(o + 8, true)) break;
    const idLen = new DataView(payload.buffer, payload.byteOffset).getUint16(0, true);
    if (2 + idLen > len) break;
    updates.push({ clientId: new TextDecoder().decode(payload.subarray(2, 2 + idLen)), body: payload.slice(2 + idLen) });
    o += RECORD_HEADER + len;
  }
  return { updates, validBytes: o };
}

/** A record's kind, from its body's magic (reports start with LRFQ, updates never do). */
function kindOf(body: Uint8Array): RecordKind {
  return REPORT_MAGIC.every((b, i) => body[i] === b) ? 'report' : 'update';
}

/** One kind's records of the open round: who sent one (reserved before the write) and what was written. */
class Kept {
  clients = new Set<string>();
  records: StoredUpdate[] = [];
}

export class FileStore implements FederatedStore {
  readonly kind = 'file';
  private current: Current | null = null;
  private phase: RoundState['phase'] = 'collecting';
  private log: FileHandle | null = null;
  private kept: Record<RecordKind, Kept> = { update: new Kept(), report: new Kept() };
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private locked = false;
  private served = new Map<number, EncodedModel>();
  private owner: string | null = null;

  constructor(readonly dir: string) {}

  private get modelsDir(): string {
    return join(this.dir, 'models');
  }
  private get roundsDir(): string {
    return join(this.dir, 'rounds');
  }
  private logPath(roundId: number): string {
    return join(this.roundsDir, `r${roundId}.log`);
  }

  /** One process per directory: two appenders to one log would interleave records. A SIGKILLed owner's file is stale and taken over. */
  private async claim(): Promise<void> {
    const path = join(this.dir, 'owner.pid');
    try {
      const other = Number(await readFile(path, 'utf8'));
      let alive = false;
      if (Number.isInteger(other) && other > 0) {
        try {
          process.kill(other, 0);
          alive = true;
        } catch (e) {
          alive = (e as NodeJS.ErrnoException).code === 'EPERM';
        }
      }
      if (alive) throw new LocalrecError('federated-config', `store directory ${this.dir} is in use by process ${other}; use the Redis store for several processes`, { pid: other });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await writeFileAtomic(path, String(process.pid), this.dir);
    this.owner = path;
  }

  async open(initial: EncodedModel, now: number): Promise<RoundState> {
    await mkdir(this.modelsDir, { recursive: true });
    await mkdir(this.roundsDir, { recursive: true });
    await this.claim();
    let current: Current | null = null;
    try {
      current = JSON.parse(await readFile(join(this.dir, 'current.json'), 'utf8')) as Current;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (!current) {
      const v = initial.manifest.modelVersion;
      await writeModelDir(join(this.modelsDir, `v${v}`), initial);
      current = { roundId: 1, modelVersion: v, openedAt: now };
      await writeFileAtomic(join(this.dir, 'current.json'), JSON.stringify(current), this.dir);
    }
    // Verifies the served version now, so a damaged store fails at start, not on a download.
    this.served.set(current.modelVersion, (await readModelDir(join(this.modelsDir, `v${current.modelVersion}`))).encoded);
    this.current = current;
    await this.recoverLog(current.roundId);
    await this.removeLeftovers(current);
    return this.state();
  }

  private async recoverLog(roundId: number): Promise<void> {
    const path = this.logPath(roundId);
    let bytes = new Uint8Array(0);
    try {
      bytes = new Uint8Array(await readFile(path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const { updates, validBytes } = decodeRecords(bytes);
    this.kept = { update: new Kept(), report: new Kept() };
    for (const u of updates) {
      const k = this.kept[kindOf(u.body)];
      if (k.clients.has(u.clientId)) continue; // cannot happen with this writer; never count a client twice
      k.clients.add(u.clientId);
      k.records.push(u);
    }
    this.log = await open(path, 'a+');
    if (validBytes < bytes.length) {
      // A torn tail: the write of an update nobody was told about. Cut it so new records follow valid ones.
      await this.log.truncate(validBytes);
      await this.log.sync();
    }
    await fsyncPath(this.roundsDir);
    this.phase = 'collecting';
  }

  private async removeLeftovers(current: Current): Promise<void> {
    for (const name of await readdir(this.modelsDir)) {
      const v = /^v(\d+)$/.exec(name);
      // Dot names are a model write's temp or parked-old directory (see writeModelDir).
      const stale = name.startsWith('.') || (v && (Number(v[1]) > current.modelVersion || Number(v[1]) <= current.modelVersion - KEEP_VERSIONS));
      if (stale) await rm(join(this.modelsDir, name), { recursive: true, force: true });
    }
    for (const name of await readdir(this.roundsDir)) {
      const r = /^r(\d+)\.log$/.exec(name);
      if (!r || Number(r[1]) !== current.roundId) await rm(join(this.roundsDir, name), { force: true });
    }
  }

  private requireOpen(): Current {
    if (!this.current || !this.log) throw new LocalrecError('invalid-state', 'the store is not open');
    return this.current;
  }

  async state(): Promise<RoundState> {
    const c = this.requireOpen();
    return { ...c, phase: this.phase, accepted: this.kept.update.clients.size };
  }

  async accept(roundId: number, clientId: string, body: Uint8Array, maxClients: number, kind: RecordKind = 'update'): Promise<AcceptOutcome> {
    const c = this.requireOpen();
    if (kindOf(body) !== kind) throw new LocalrecError('invalid-argument', `a ${kind} record must have a ${kind}'s body`);
    const k = this.kept[kind];
    if (roundId !== c.roundId) return { status: 'stale', roundId: c.roundId };
    if (this.phase !== 'collecting' || k.clients.size >= maxClients) return { status: 'closed' };
    if (k.clients.has(clientId)) return { status: 'duplicate' };
    // Reserve the client id before the write, so a concurrent retry is a duplicate, not a second record.
    k.clients.add(clientId);
    const record = encodeRecord(clientId, body);
    try {
      await new Promise<void>((resolve, reject) => {
        this.pending.push({ bytes: record, resolve, reject });
        this.flushing ??= this.flush();
      });
    } catch (e) {
      k.clients.delete(clientId);
      throw e;
    }
    k.records.push({ clientId, body });
    return { status: 'accepted', accepted: k.clients.size };
  }

  /** Group commit: one write and one fdatasync for every record queued meanwhile. */
  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      const bytes = new Uint8Array(batch.reduce((a, p) => a + p.bytes.length, 0));
      let o = 0;
      for (const p of batch) {
        bytes.set(p.bytes, o);
        o += p.bytes.length;
      }
      try {
        await this.log!.write(bytes);
        await this.log!.datasync();
        for (const p of batch) p.resolve();
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
    this.flushing = null;
  }

  async has(roundId: number, clientId: string, kind: RecordKind = 'update'): Promise<boolean> {
    return this.current?.roundId === roundId && this.kept[kind].clients.has(clientId);
  }

  async lock(): Promise<(() => Promise<void>) | null> {
    if (this.locked) return null;
    this.locked = true;
    return async () => {
      this.locked = false;
    };
  }

  async closeRound(roundId: number): Promise<StoredUpdate[] | null> {
    const c = this.requireOpen();
    if (roundId !== c.roundId) return null;
    this.phase = 'aggregating';
    // Updates already reserved finish their write first: each is either in the list or was refused.
    while (this.flushing) await this.flushing;
    return this.kept.update.records.slice();
  }

  async reports(roundId: number): Promise<StoredUpdate[]> {
    const c = this.requireOpen();
    if (roundId !== c.roundId) return [];
    while (this.flushing) await this.flushing;
    return this.kept.report.records.slice();
  }

  async publish(roundId: number, model: EncodedModel, now: number): Promise<RoundState> {
    const c = this.requireOpen();
    if (roundId !== c.roundId || this.phase !== 'aggregating') throw new LocalrecError('invalid-state', `round ${roundId} is not being aggregated`);
    const version = model.manifest.modelVersion;
    await writeModelDir(join(this.modelsDir, `v${version}`), model);
    const next: Current = { roundId: roundId + 1, modelVersion: version, openedAt: now };
    // The switch: until this rename the old version is served and round `roundId` can be aggregated again.
    await writeFileAtomic(join(this.dir, 'current.json'), JSON.stringify(next), this.dir);
    this.served.set(version, model);
    for (const v of this.served.keys()) if (v <= version - KEEP_VERSIONS) this.served.delete(v);
    await this.log?.close();
    this.current = next;
    await this.recoverLog(next.roundId);
    await this.removeLeftovers(next);
    return this.state();
  }

  async model(version: number): Promise<EncodedModel | null> {
    const cached = this.served.get(version);
    if (cached) return cached;
    const c = this.requireOpen();
    if (version > c.modelVersion || version <= c.modelVersion - KEEP_VERSIONS) return null;
    try {
      const m = (await readModelDir(join(this.modelsDir, `v${version}`))).encoded;
      this.served.set(version, m);
      return m;
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.log?.close();
    this.log = null;
    if (this.owner) await rm(this.owner, { force: true });
    this.owner = null;
  }
}
