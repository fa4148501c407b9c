import { createServer } from 'node:net';

function canBind(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A base port such that base+offset is free on loopback for every offset, e.g. the nine ports of
 * a three-member `flotilla up`. Random bases, a bounded number of tries.
 */
export async function freePortBlock(offsets: readonly number[], attempts = 30): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const base = 20000 + Math.floor(Math.random() * 20000);
    let free = true;
    for (const offset of offsets) {
      if (!(await canBind(base + offset))) {
        free = false;
        break;
      }
    }
    if (free) return base;
  }
  throw new Error(`no free block of ports for offsets ${offsets.join(',')}`);
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return freePortBlock([0]);
}
