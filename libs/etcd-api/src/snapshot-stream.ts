// Maintenance.Snapshot: the backend's snapshot is first spooled to a temporary file, so every
// message can say how many bytes remain (etcd's remaining_bytes); the file is laid out as in
// snapshot-file.ts and the stream ends with its SHA-256, as etcd's does (etcdctl checks both).
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { EtcdBackend } from './backend';
import { EtcdApiLogger, statusOf } from './rpc-handlers';
import { snapshotTrailer } from './snapshot-file';
import type { HeaderFor } from './wire-convert';

export interface SnapshotStreamOptions {
  spoolDir: string;
  chunkBytes: number;
}

type SnapshotCall = ServerWritableStream<object, object>;

export async function streamSnapshot(
  call: SnapshotCall,
  backend: EtcdBackend,
  header: HeaderFor,
  options: SnapshotStreamOptions,
  log: EtcdApiLogger,
): Promise<void> {
  let dir: string | undefined;
  try {
    dir = await mkdtemp(join(options.spoolDir, 'flotilla-etcd-snapshot-'));
    const file = join(dir, 'snapshot');
    const { size, sha256 } = await spool(backend.snapshot(), file, call);
    if (call.cancelled) return;
    await send(call, file, size, header, options.chunkBytes);
    if (call.cancelled) return;
    await write(call, { remaining_bytes: 0, blob: sha256 });
    call.end();
    log.info('etcd-api: snapshot sent', { bytes: size });
  } catch (err) {
    if (!call.cancelled) call.emit('error', statusOf(err, log, 'Maintenance.Snapshot'));
  } finally {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function spool(
  chunks: AsyncIterable<Uint8Array>,
  file: string,
  call: SnapshotCall,
): Promise<{ size: number; sha256: Buffer }> {
  const out = await open(file, 'w');
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of chunks) {
      if (call.cancelled) break;
      await out.write(chunk);
      hash.update(chunk);
      size += chunk.length;
    }
    const trailer = snapshotTrailer(size);
    await out.write(trailer);
    hash.update(trailer);
    size += trailer.length;
  } finally {
    await out.close();
  }
  return { size, sha256: hash.digest() };
}

async function send(
  call: SnapshotCall,
  file: string,
  size: number,
  header: HeaderFor,
  chunkBytes: number,
): Promise<void> {
  const input = await open(file, 'r');
  try {
    let sent = 0;
    let first = true;
    while (sent < size && !call.cancelled) {
      const buf = Buffer.alloc(Math.min(chunkBytes, size - sent));
      const { bytesRead } = await input.read(buf, 0, buf.length, sent);
      if (bytesRead === 0) throw new Error('snapshot spool file ended early');
      sent += bytesRead;
      const msg: Record<string, unknown> = {
        remaining_bytes: size - sent,
        blob: buf.subarray(0, bytesRead),
      };
      if (first) msg.header = header();
      first = false;
      await write(call, msg);
    }
  } finally {
    await input.close();
  }
}

function write(call: SnapshotCall, msg: object): Promise<void> {
  if (call.write(msg)) return Promise.resolve();
  return new Promise((resolve) => {
    call.once('drain', resolve);
    call.once('close', resolve);
  });
}
