// The Raft snapshot of the store as a stream of msgpackr chunks:
//   [0, FORMAT, appliedIndex, revision, compactRevision, leases[[id, ttl, remainingTtl?]]]  header
//   [1, [[revisionKey, record], ...]]                                                   data (~chunkSize)
//   [2, entryCount]                                                                      trailer
// Data is the revision keyspace in key order, read from one LevelDB snapshot, so the same state
// always yields the same bytes. The trailer lets a restore refuse a truncated stream.
import { pack, unpack } from 'msgpackr';
import { Db } from './db';
import { REV_SPACE_END, REV_SPACE_START } from './layout';
import { LeaseInfo } from './types';
import { errors } from './errors';

const FORMAT = 1;
const enum ChunkKind {
  Header = 0,
  Data = 1,
  Trailer = 2,
}

export const DEFAULT_SNAPSHOT_CHUNK_BYTES = 256 * 1024;

export interface SnapshotMeta {
  appliedIndex: number;
  revision: number;
  compactRevision: number;
  leases: LeaseInfo[];
}

type LevelSnapshot = ReturnType<Db['snapshot']>;

/** A consistent snapshot: iterate it once to get the chunks; it releases itself at the end. */
export class StoreSnapshot implements AsyncIterable<Uint8Array> {
  private used = false;
  private released = false;

  constructor(
    private readonly db: Db,
    private readonly levelSnapshot: LevelSnapshot,
    readonly meta: SnapshotMeta,
    private readonly chunkBytes: number,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.used) throw new Error('store: a snapshot can be iterated once');
    this.used = true;
    const it = this.db.iterator({
      gte: REV_SPACE_START,
      lt: REV_SPACE_END,
      snapshot: this.levelSnapshot,
    });
    try {
      const m = this.meta;
      const leases = m.leases.map((l) =>
        l.remainingTtl === undefined ? [l.id, l.ttl] : [l.id, l.ttl, l.remainingTtl],
      );
      yield pack([ChunkKind.Header, FORMAT, m.appliedIndex, m.revision, m.compactRevision, leases]);
      let pending: Array<[Buffer, Buffer]> = [];
      let pendingBytes = 0;
      let count = 0;
      for (;;) {
        const entries = await it.nextv(1024);
        if (entries.length === 0) break;
        for (const entry of entries) {
          pending.push(entry);
          pendingBytes += entry[0].length + entry[1].length + 8;
          count++;
          if (pendingBytes >= this.chunkBytes) {
            yield pack([ChunkKind.Data, pending]);
            pending = [];
            pendingBytes = 0;
          }
        }
      }
      if (pending.length > 0) yield pack([ChunkKind.Data, pending]);
      yield pack([ChunkKind.Trailer, count]);
    } finally {
      await it.close();
      await this.release();
    }
  }

  /** Frees the LevelDB snapshot when the chunks will not be read (iteration does it itself). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.levelSnapshot.close();
  }
}

/** Reads a chunk stream into `db` (expected empty); returns the metadata once complete. */
export async function loadSnapshot(
  db: Db,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<SnapshotMeta> {
  let meta: SnapshotMeta | undefined;
  let count = 0;
  let complete = false;
  for await (const chunk of chunks) {
    if (complete) throw badSnapshot('data after the trailer');
    const fields = decodeChunk(chunk);
    if (meta === undefined) {
      if (fields[0] !== ChunkKind.Header) throw badSnapshot('missing header');
      if (fields[1] !== FORMAT) throw badSnapshot(`unknown format ${String(fields[1])}`);
      const leases = (fields[5] as number[][]).map(([id, ttl, remainingTtl]) =>
        remainingTtl === undefined ? { id, ttl } : { id, ttl, remainingTtl },
      );
      meta = {
        appliedIndex: fields[2] as number,
        revision: fields[3] as number,
        compactRevision: fields[4] as number,
        leases,
      };
    } else if (fields[0] === ChunkKind.Data) {
      const entries = fields[1] as Array<[Buffer, Buffer]>;
      const batch = db.batch();
      for (const [k, v] of entries) {
        if (!Buffer.isBuffer(k) || !Buffer.isBuffer(v) || k[0] !== REV_SPACE_START[0]) {
          throw badSnapshot('bad data entry');
        }
        batch.put(k, v);
      }
      await batch.write();
      count += entries.length;
    } else if (fields[0] === ChunkKind.Trailer) {
      if (fields[1] !== count)
        throw badSnapshot(`expected ${String(fields[1])} entries, got ${count}`);
      complete = true;
    } else throw badSnapshot(`unknown chunk kind ${String(fields[0])}`);
  }
  if (meta === undefined || !complete) throw badSnapshot('truncated stream');
  return meta;
}

function decodeChunk(chunk: Uint8Array): unknown[] {
  let fields: unknown;
  try {
    fields = unpack(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  } catch (err) {
    throw badSnapshot(`undecodable chunk (${(err as Error).message})`);
  }
  if (!Array.isArray(fields)) throw badSnapshot('chunk is not an array');
  return fields;
}

function badSnapshot(why: string) {
  return errors.invalidSnapshot(why);
}
