// Large response buffers, used again once the socket has taken their bytes. A 100-key range
// answer is ~200 KiB: a fresh buffer for each one costs page faults on first touch and external
// memory that brings V8's garbage collections sooner (together more CPU than encoding the
// answer). Buffers come in power-of-two sizes; only a bounded number wait here.

/** Smaller buffers come from Node's own slab allocator; pooling them gains nothing. */
export const POOL_MIN_BYTES = 32 * 1024;
const POOL_MAX_BYTES = 8 * 1024 * 1024;

export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private freeBytes = 0;

  constructor(private readonly maxFreeBytes = 16 * 1024 * 1024) {}

  /** A buffer of at least `bytes` (its contents are whatever was there). */
  take(bytes: number): Buffer {
    if (bytes < POOL_MIN_BYTES || bytes > POOL_MAX_BYTES) return Buffer.allocUnsafe(bytes);
    const size = sizeClass(bytes);
    const kept = this.free.get(size)?.pop();
    if (kept !== undefined) {
      this.freeBytes -= size;
      return kept;
    }
    return Buffer.allocUnsafeSlow(size);
  }

  /** Hands a buffer back; it must not be used by the giver any more. */
  give(buf: Buffer): void {
    const size = buf.length;
    if (size < POOL_MIN_BYTES || size > POOL_MAX_BYTES || size !== sizeClass(size)) return;
    if (buf.byteOffset !== 0 || buf.buffer.byteLength !== size) return;
    if (this.freeBytes + size > this.maxFreeBytes) return;
    let list = this.free.get(size);
    if (list === undefined) this.free.set(size, (list = []));
    list.push(buf);
    this.freeBytes += size;
  }

  get pooledBytes(): number {
    return this.freeBytes;
  }
}

function sizeClass(bytes: number): number {
  return 2 ** Math.ceil(Math.log2(bytes));
}
