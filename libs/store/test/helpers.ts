// Test helpers: real stores in unique temp directories, removed afterwards.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import {
  ApplyOutcome,
  Command,
  CommandResponse,
  KeyValue,
  MvccStore,
  MvccStoreOptions,
  StoreError,
} from '../src';

export const b = (s: string): Buffer => Buffer.from(s);

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'flotilla-store-'));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A store plus a Raft-index counter, so tests read like a sequence of client requests. */
export class Harness {
  index = 0;

  private constructor(
    public store: MvccStore,
    readonly dir: string,
    private readonly options: MvccStoreOptions,
  ) {}

  static async create(options: MvccStoreOptions = {}): Promise<Harness> {
    const dir = await tempDir();
    return new Harness(await MvccStore.open(dir, options), dir, options);
  }

  async apply(command: Command): Promise<ApplyOutcome> {
    const outcome = await this.store.apply(++this.index, command);
    this.index = Math.max(this.index, this.store.appliedIndex);
    return outcome;
  }

  /** Applies and returns the response; throws the StoreError of a rejected command. */
  async ok<T extends CommandResponse>(command: Command): Promise<T> {
    const outcome = await this.apply(command);
    if (outcome.status === 'rejected') throw outcome.error;
    if (outcome.status !== 'applied') throw new Error(`unexpected ${outcome.status}`);
    return outcome.response as T;
  }

  /** Applies a command expected to be rejected; returns the error. */
  async rejected(command: Command): Promise<StoreError> {
    const outcome = await this.apply(command);
    if (outcome.status !== 'rejected')
      throw new Error(`expected a rejection, got ${outcome.status}`);
    return outcome.error;
  }

  put(key: string, value: string, extra: { lease?: number; prevKv?: boolean } = {}) {
    return this.ok<{ header: { revision: number }; prevKv?: KeyValue }>({
      type: 'put',
      request: { key: b(key), value: b(value), ...extra },
    });
  }

  del(key: string, rangeEnd?: string) {
    return this.ok<{ header: { revision: number }; deleted: number; prevKvs: KeyValue[] }>({
      type: 'deleteRange',
      request: {
        key: b(key),
        rangeEnd: rangeEnd === undefined ? undefined : b(rangeEnd),
        prevKv: true,
      },
    });
  }

  async get(key: string, revision = 0): Promise<KeyValue | undefined> {
    const r = await this.store.range({ key: b(key), revision });
    return r.kvs[0];
  }

  async reopen(): Promise<void> {
    await this.store.close();
    this.store = await MvccStore.open(this.dir, this.options);
  }

  async dispose(): Promise<void> {
    await this.store.close();
    await removeDir(this.dir);
  }
}

/** Every live key and value at a revision, as printable pairs. */
export async function dump(store: MvccStore, revision = 0): Promise<string[]> {
  const r = await store.range({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]), revision });
  return r.kvs.map(
    (kv) =>
      `${kv.key.toString('hex')}=${kv.value.toString('hex')} c${kv.createRevision} m${kv.modRevision} v${kv.version} l${kv.lease}`,
  );
}

/** Small seeded PRNG (mulberry32) for reproducible random command sequences. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Number of stored key versions in a closed store's LevelDB (white-box check of compaction). */
export async function countVersionsOnDisk(dir: string): Promise<number> {
  const db = new ClassicLevel<Buffer, Buffer>(join(dir, 'db'), {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
  });
  await db.open();
  try {
    const keys = await db.keys({ gte: Buffer.from('r'), lt: Buffer.from('s') }).all();
    return keys.length;
  } finally {
    await db.close();
  }
}
