// Earlier versions kept the Raft log in LevelDB (<data>/wal: 'h' the hard state, 's' the
// snapshot metadata, 'e' + index the entries, each value CRC-sealed) with the snapshot data in
// <data>/snapshot.bin. A member upgraded in place reads it once into the write-ahead log.
import { ClassicLevel } from 'classic-level';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileSystem } from '@flotilla/io';
import { Entry, HardState, Snapshot, SnapshotMeta } from '@flotilla/raft';
import { unseal } from './snapshot-files';

const LEGACY_DIR = 'wal';
const LEGACY_SNAPSHOT = 'snapshot.bin';
const ENTRY = 0x65;

export interface LegacyLog {
  snapshot: Snapshot | undefined;
  hardState: HardState | undefined;
  entries: Entry[];
}

async function exists(fs: FileSystem, path: string): Promise<boolean> {
  return fs.stat(path).then(
    () => true,
    () => false,
  );
}

export function hasLegacyLog(fs: FileSystem, dir: string): Promise<boolean> {
  return exists(fs, join(dir, LEGACY_DIR, 'CURRENT'));
}

/** Read with LevelDB on Node's own file system: only a member upgraded in place has one. */

export async function readLegacyLog(dir: string): Promise<LegacyLog> {
  const db = new ClassicLevel<Buffer, Buffer>(join(dir, LEGACY_DIR), {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
    createIfMissing: false,
  });
  await db.open();
  try {
    const metaRecord = await db.get(Buffer.from('s'));
    const meta = metaRecord ? unseal<SnapshotMeta>(metaRecord) : undefined;
    if (metaRecord && !meta) throw new Error('raft log (legacy): snapshot metadata is corrupt');
    const snapshot =
      meta && meta.index > 0
        ? { meta, data: new Uint8Array(await readFile(join(dir, LEGACY_SNAPSHOT))) }
        : undefined;
    const hsRecord = await db.get(Buffer.from('h'));
    const hardState = hsRecord ? unseal<HardState>(hsRecord) : undefined;
    if (hsRecord && !hardState) throw new Error('raft log (legacy): hard state is corrupt');
    const entries: Entry[] = [];
    let expected = (snapshot?.meta.index ?? 0) + 1;
    const from = Buffer.alloc(9);
    from[0] = ENTRY;
    from.writeBigUInt64BE(BigInt(expected), 1);
    for await (const [key, value] of db.iterator({ gte: from, lt: Buffer.from([ENTRY + 1]) })) {
      const index = Number(key.readBigUInt64BE(1));
      const rec = unseal<[number, 0 | 1, Uint8Array]>(value);
      // A torn or damaged tail ends the log, as it did before.
      if (!rec || index !== expected) break;
      entries.push({ index, term: rec[0], type: rec[1] === 1 ? 'conf' : 'normal', data: rec[2] });
      expected++;
    }
    return { snapshot, hardState, entries };
  } finally {
    await db.close();
  }
}

export async function removeLegacyLog(fs: FileSystem, dir: string): Promise<void> {
  await fs.rm(join(dir, LEGACY_DIR), { recursive: true, force: true });
  await fs.rm(join(dir, LEGACY_SNAPSHOT), { force: true });
}
