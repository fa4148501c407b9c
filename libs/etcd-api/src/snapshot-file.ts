// The layout of a snapshot as the etcd API streams it (and `etcdctl snapshot save` stores it):
//
//   body | zero padding | body length (u64 BE) | "FLTSNAP1" | sha256 of everything before it
//
// etcd clients accept a snapshot only if its size is 32 bytes past a multiple of 512 (a bbolt
// file plus its SHA-256), so the padding makes the part before the hash a multiple of 512. The
// body is the backend's snapshot stream, byte for byte; the length and magic let a reader find it.
import { createHash } from 'node:crypto';

export const SNAPSHOT_MAGIC = Buffer.from('FLTSNAP1');
const SECTOR = 512;
const HASH_BYTES = 32;
const TRAILER_BYTES = 8 + SNAPSHOT_MAGIC.length;

/** Padding + length + magic to put after a body of `bodyBytes`. */
export function snapshotTrailer(bodyBytes: number): Buffer {
  const unpadded = bodyBytes + TRAILER_BYTES;
  const padding = (SECTOR - (unpadded % SECTOR)) % SECTOR;
  const out = Buffer.alloc(padding + TRAILER_BYTES);
  out.writeBigUInt64BE(BigInt(bodyBytes), padding);
  SNAPSHOT_MAGIC.copy(out, padding + 8);
  return out;
}

/** Checks a saved snapshot file and returns its body (the backend's snapshot stream). */
export function readSnapshotFile(file: Buffer): Buffer {
  if (file.length < TRAILER_BYTES + HASH_BYTES || file.length % SECTOR !== HASH_BYTES) {
    throw new Error('not a Flotilla snapshot: wrong size');
  }
  const signed = file.subarray(0, file.length - HASH_BYTES);
  const digest = createHash('sha256').update(signed).digest();
  if (!digest.equals(file.subarray(file.length - HASH_BYTES))) {
    throw new Error('snapshot is corrupt: sha256 mismatch');
  }
  if (!signed.subarray(signed.length - SNAPSHOT_MAGIC.length).equals(SNAPSHOT_MAGIC)) {
    throw new Error('not a Flotilla snapshot: magic missing');
  }
  const bodyBytes = Number(signed.readBigUInt64BE(signed.length - TRAILER_BYTES));
  if (bodyBytes > signed.length - TRAILER_BYTES) throw new Error('snapshot is corrupt: bad length');
  return file.subarray(0, bodyBytes);
}
