import { VersionCache } from './version-cache';
import type { KeyValue } from './types';

const kv = (key: string, bytes: number): KeyValue => ({
  key: Buffer.from(key),
  value: Buffer.alloc(bytes, 1),
  createRevision: 1,
  modRevision: 1,
  version: 1,
  lease: 0,
});

describe('VersionCache', () => {
  it('finds a version by main and sub revision', () => {
    const c = new VersionCache(1 << 20);
    const a = kv('a', 10);
    const b = kv('b', 10);
    c.set({ main: 5, sub: 0 }, a);
    c.set({ main: 5, sub: 1 }, b);
    expect(c.get({ main: 5, sub: 0 })).toBe(a);
    expect(c.get({ main: 5, sub: 1 })).toBe(b);
    expect(c.get({ main: 6, sub: 0 })).toBeUndefined();
  });

  it('drops the least recently used versions once over its budget', () => {
    // Each entry costs its key and value plus a fixed overhead of well under 1000 bytes.
    const c = new VersionCache(3 * 1200);
    for (let i = 1; i <= 3; i++) c.set({ main: i, sub: 0 }, kv(`k${i}`, 1000));
    expect(c.size).toBe(3);
    c.get({ main: 1, sub: 0 }); // now the most recent
    c.set({ main: 4, sub: 0 }, kv('k4', 1000));
    expect(c.size).toBe(3);
    expect(c.get({ main: 2, sub: 0 })).toBeUndefined();
    expect(c.get({ main: 1, sub: 0 })).toBeDefined();
    expect(c.get({ main: 3, sub: 0 })).toBeDefined();
    expect(c.usedBytes).toBeLessThanOrEqual(3 * 1200);
  });

  it('keeps nothing larger than its budget, and nothing at all with a budget of 0', () => {
    const c = new VersionCache(500);
    c.set({ main: 1, sub: 0 }, kv('big', 1000));
    expect(c.size).toBe(0);
    const off = new VersionCache(0);
    off.set({ main: 1, sub: 0 }, kv('a', 1));
    expect(off.get({ main: 1, sub: 0 })).toBeUndefined();
  });

  it('charges a replaced entry once', () => {
    const c = new VersionCache(1 << 20);
    c.set({ main: 1, sub: 0 }, kv('a', 100));
    const before = c.usedBytes;
    c.set({ main: 1, sub: 0 }, kv('a', 100));
    expect(c.usedBytes).toBe(before);
    c.clear();
    expect(c.size).toBe(0);
    expect(c.usedBytes).toBe(0);
  });
});
