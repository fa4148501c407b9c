import { BufferPool, POOL_MIN_BYTES } from './buffer-pool';

describe('BufferPool', () => {
  it('hands out power-of-two buffers and gives a returned one out again', () => {
    const pool = new BufferPool();
    const a = pool.take(100 * 1024);
    expect(a.length).toBe(128 * 1024);
    pool.give(a);
    expect(pool.pooledBytes).toBe(128 * 1024);
    expect(pool.take(70 * 1024)).toBe(a);
    expect(pool.take(70 * 1024)).not.toBe(a);
  });

  it('keeps nothing small, sliced or beyond its budget', () => {
    const pool = new BufferPool(256 * 1024);
    const small = pool.take(POOL_MIN_BYTES - 1);
    pool.give(small);
    pool.give(pool.take(64 * 1024).subarray(0, 32 * 1024));
    expect(pool.pooledBytes).toBe(0);
    const first = pool.take(200 * 1024);
    const second = pool.take(200 * 1024);
    pool.give(first);
    pool.give(second);
    expect(pool.pooledBytes).toBe(256 * 1024);
  });
});
