// The LevelDB handle: binary keys and values everywhere.
import { ClassicLevel } from 'classic-level';

export type Db = ClassicLevel<Buffer, Buffer>;
export type DbSnapshot = ReturnType<Db['snapshot']>;

export async function openDb(location: string): Promise<Db> {
  const db = new ClassicLevel<Buffer, Buffer>(location, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
  });
  await db.open();
  return db;
}
