// SortedKeys against the obvious model (a sorted array), under random inserts, scans and removals.
import { SortedKeys } from '../src/sorted-keys';
import { prng } from './helpers';

function scan(keys: SortedKeys, start: string, limit: number): string[] {
  const out: string[] = [];
  keys.forEachFrom(start, (k) => {
    out.push(k);
    return out.length < limit;
  });
  return out;
}

describe('SortedKeys', () => {
  it.each([1, 2, 3])('matches a sorted array (seed %i)', (seed) => {
    const rand = prng(seed);
    const keys = new SortedKeys();
    let model: string[] = [];
    const name = () =>
      `/registry/pods/ns-${Math.floor(rand() * 20)}/p-${Math.floor(rand() * 5000)}`;
    for (let step = 0; step < 6000; step++) {
      const key = name();
      if (!model.includes(key)) {
        keys.insert(key);
        model.push(key);
        model.sort();
      }
      if (step % 500 === 499) {
        // Compaction drops some keys.
        const drop = (k: string) => k.endsWith('7');
        keys.retain((k) => !drop(k));
        model = model.filter((k) => !drop(k));
      }
      if (step % 97 === 0) {
        const start = name();
        const from = model.findIndex((k) => k >= start);
        const expected = from < 0 ? [] : model.slice(from, from + 40);
        expect({ seed, step, keys: scan(keys, start, 40) }).toEqual({ seed, step, keys: expected });
      }
    }
    expect(keys.size).toBe(model.length);
    expect(keys.toArray()).toEqual(model);
    expect(scan(keys, '', model.length + 1)).toEqual(model);
    expect(scan(keys, '\xff', 10)).toEqual([]);
  });

  it('keeps keys that arrive in order, and an empty set scans nothing', () => {
    const keys = new SortedKeys();
    expect(scan(keys, '', 10)).toEqual([]);
    const inOrder = Array.from({ length: 2000 }, (_, i) => `k${String(i).padStart(5, '0')}`);
    for (const k of inOrder) keys.insert(k);
    expect(keys.toArray()).toEqual(inOrder);
    expect(scan(keys, 'k01000', 3)).toEqual(['k01000', 'k01001', 'k01002']);
    keys.retain(() => false);
    expect(keys.size).toBe(0);
    expect(scan(keys, '', 10)).toEqual([]);
    keys.insert('again');
    expect(keys.toArray()).toEqual(['again']);
  });
});
