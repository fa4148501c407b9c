// The LevelDB handle: binary keys and values everywhere. The store is written against the
// abstract-level interface, so the simulation can hand it an in-memory database instead.
import type { AbstractLevel, AbstractPutOptions } from 'abstract-level';
import { ClassicLevel } from 'classic-level';

export type Db = AbstractLevel<string | Buffer | Uint8Array, Buffer, Buffer>;
export type DbSnapshot = ReturnType<Db['snapshot']>;
/** LevelDB's own write option (classic-level's `sync`): the write is fsynced before it resolves. */
export const SYNCED_PUT = { sync: true } as AbstractPutOptions<Buffer, Buffer>;

/** Opens (creating if missing) the database in a directory. */
export type OpenDb = (location: string) => Promise<Db>;

export const openClassicLevel: OpenDb = async (location) => {
  const db = new ClassicLevel<Buffer, Buffer>(location, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
  });
  await db.open();
  return db;
};
