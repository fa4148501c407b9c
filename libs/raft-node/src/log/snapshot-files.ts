// The latest Raft snapshot of a member: its data in snap-<index>.bin and its metadata (index,
// term, configuration) in snapshot.meta, which names the data file by its index. Both are
// written aside, fsynced and renamed into place, data first: a crash leaves the old pair or the
// new one, never a new meta beside old data.
import { crc32 } from 'node:zlib';
import { open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { Snapshot, SnapshotMeta } from '@flotilla/raft';
import { syncDir } from './segment';

const packr = new Packr({ useRecords: false });
const META_FILE = 'snapshot.meta';

function dataFile(index: number): string {
  return `snap-${index.toString(16).padStart(16, '0')}.bin`;
}

/** Bytes with their CRC-32 in front, so damage is detected rather than used. */
export function seal(value: unknown): Buffer {
  const body = packr.pack(value);
  const out = Buffer.alloc(4 + body.length);
  out.writeUInt32BE(crc32(body), 0);
  body.copy(out, 4);
  return out;
}

export function unseal<T>(record: Buffer): T | undefined {
  if (record.length < 4) return undefined;
  const body = record.subarray(4);
  if (crc32(body) !== record.readUInt32BE(0)) return undefined;
  return packr.unpack(body) as T;
}

async function writeDurably(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const path = join(dir, name);
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

export async function writeSnapshot(dir: string, snapshot: Snapshot): Promise<void> {
  const name = dataFile(snapshot.meta.index);
  await writeDurably(dir, name, snapshot.data);
  await writeDurably(dir, META_FILE, seal(snapshot.meta));
  await syncDir(dir);
  for (const other of await readdir(dir)) {
    if (other !== name && /^snap-[0-9a-f]{16}\.bin(\.tmp)?$/.test(other)) {
      await rm(join(dir, other), { force: true });
    }
  }
}

export async function readSnapshot(dir: string): Promise<Snapshot | undefined> {
  let sealed: Buffer;
  try {
    sealed = await readFile(join(dir, META_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const meta = unseal<SnapshotMeta>(sealed);
  if (meta === undefined) throw new Error('raft log: snapshot metadata is corrupt');
  if (meta.index === 0) return undefined;
  const data = await readFile(join(dir, dataFile(meta.index)));
  return { meta, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
