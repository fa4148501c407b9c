import type { Readable } from 'node:stream';

export interface RawBody {
  body?: Buffer;
  /** Over the limit: the rest was drained and dropped so the client still gets its answer. */
  tooLarge: boolean;
}

/** Bodies past this are cut off (connection closed) rather than drained. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/** Reads a request body up to `limit` bytes. */
export function readLimitedBody(stream: Readable, limit: number): Promise<RawBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_LIMIT) {
        stream.destroy();
        resolve({ tooLarge: true });
        return;
      }
      if (size <= limit) chunks.push(chunk);
      else chunks.length = 0;
    });
    stream.on('end', () =>
      resolve(size > limit ? { tooLarge: true } : { body: Buffer.concat(chunks), tooLarge: false }),
    );
    stream.on('error', reject);
  });
}
