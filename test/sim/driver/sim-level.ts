import { posix } from 'node:path';
import { MemoryLevel } from 'memory-level';
import type { Db, OpenDb } from '@flotilla/store';
import { DiskError, LevelBatch, LevelData } from './sim-disk';
import { SimFs } from './sim-fs';

type Op = { type: 'put' | 'del'; key: Buffer; value?: Buffer };

/** abstract-level's private API (what a database implements), which its types leave out. */
interface Implementation {
  _batch(operations: Op[], options: object): Promise<void>;
}
const Base = MemoryLevel as unknown as new (
  options: object,
) => MemoryLevel<Buffer, Buffer> & Implementation;

/**
 * The MVCC store's LevelDB in the simulation: memory-level (an abstract-level database, as
 * classic-level is) whose writes are also recorded on the member's SimDisk, so a crash loses
 * what LevelDB would lose. A synced write waits an fsync of virtual time; until it ends, it and
 * the writes before it may still be lost.
 */
class SimLevel extends Base {
  constructor(
    private readonly data: LevelData,
    private readonly fs: SimFs,
    private readonly path: string,
  ) {
    super({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
  }

  /** Fills the fresh in-memory tree with what the disk holds (bypassing the journal). */
  async load(): Promise<void> {
    const ops: Op[] = [];
    for (const [key, value] of this.data.current)
      ops.push({ type: 'put', key: Buffer.from(key, 'latin1'), value });
    await super._batch(ops, {});
  }

  async _put(key: Buffer, value: Buffer, options: { sync?: boolean }): Promise<void> {
    await this.write([{ type: 'put', key, value }], options);
  }

  async _del(key: Buffer, options: { sync?: boolean }): Promise<void> {
    await this.write([{ type: 'del', key }], options);
  }

  override async _batch(operations: Op[], options: { sync?: boolean }): Promise<void> {
    await this.write(operations, options);
  }

  private async write(operations: Op[], options: { sync?: boolean }): Promise<void> {
    this.fs.alive();
    const batch: LevelBatch = operations.map((op) => ({
      key: op.key.toString('latin1'),
      value: op.type === 'put' ? Buffer.from(op.value!) : undefined,
    }));
    this.data.record(batch);
    await super._batch(operations, {});
    if (options?.sync) {
      await this.fs.call('sync', this.path, () => this.fs.synced(() => this.data.sync()));
    }
  }
}

/** Opens (creating if missing) the database at `location` on this member's disk. */
export function simOpenDb(fs: SimFs): OpenDb {
  return async (location: string): Promise<Db> => {
    const data = await fs.call('meta', location, () => {
      const entry = fs.disk.get(location);
      if (entry?.kind === 'level') return entry.data;
      if (entry !== undefined) throw new DiskError('EEXIST', 'open level', location);
      const parent = fs.disk.get(posix.dirname(location));
      if (parent?.kind !== 'dir') throw new DiskError('ENOENT', 'open level', location);
      const fresh = new LevelData();
      fs.disk.set(location, { kind: 'level', data: fresh });
      return fresh;
    });
    const db = new SimLevel(data, fs, location);
    await db.open();
    await db.load();
    return db as unknown as Db;
  };
}
