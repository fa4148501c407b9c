// SortedKeys against the obvious model (a sorted array), under random inserts, scans and removals.
// Each value is its key here, so a value out of step with its key shows in every comparison.
import { SortedKeys } from '../src/sorted-keys';
import { prng } from './helpers';

function scan(keys: SortedKeys<string>, start: string, limit: number): string[] {
  return keys.between(start, undefined).slice(0, limit);
}

describe('SortedKeys', () => {
  it.each([1, 2, 3])('matches a sorted array (seed %i)', (seed) => {
    const rand = prng(seed);
    const keys = new SortedKeys<string>();
    let model: string[] = [];
    const name = () =>
      `/registry/pods/ns-${Math.floor(rand() * 20)}/p-${Math.floor(rand() * 5000)}`;
    for (let step = 0; step < 6000; step++) {
      const key = name();
      if (!model.includes(key)) {
        keys.insert(key, key);
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
        const [a, b] = [name(), name()].sort();
        const expected = model.filter((k) => k >= a && k < b);
        expect({ seed, step, keys: keys.between(a, b) }).toEqual({ seed, step, keys: expected });
        const from = model.filter((k) => k >= a).slice(0, 40);
        expect({ seed, step, keys: scan(keys, a, 40) }).toEqual({ seed, step, keys: from });
      }
    }
    expect(keys.size).toBe(model.length);
    expect(keys.allKeys()).toEqual(model);
    expect(keys.allValues()).toEqual(model);
    expect(scan(keys, '', model.length + 1)).toEqual(model);
    expect(scan(keys, '\xff', 10)).toEqual([]);
  });

  it('keeps keys that arrive in order, and an empty set scans nothing', () => {
    const keys = new SortedKeys<string>();
    expect(scan(keys, '', 10)).toEqual([]);
    const inOrder = Array.from({ length: 2000 }, (_, i) => `k${String(i).padStart(5, '0')}`);
    for (const k of inOrder) keys.insert(k, k);
    expect(keys.allKeys()).toEqual(inOrder);
    expect(scan(keys, 'k01000', 3)).toEqual(['k01000', 'k01001', 'k01002']);
    // Bounds that fall between keys, on a block's last key, and past every key.
    expect(keys.between('k00999x', 'k01002')).toEqual(['k01000', 'k01001']);
    expect(keys.between('k00511', 'k00513')).toEqual(['k00511', 'k00512']);
    expect(keys.between('k01998', 'z')).toEqual(['k01998', 'k01999']);
    expect(keys.between('k5', undefined)).toEqual([]);
    expect(keys.between('k00010', 'k00010')).toEqual([]);
    keys.retain(() => false);
    expect(keys.size).toBe(0);
    expect(scan(keys, '', 10)).toEqual([]);
    keys.insert('again', 'again');
    expect(keys.allValues()).toEqual(['again']);
  });

  it.each([4, 5])('keeps block weights equal to the sum of its values (seed %i)', (seed) => {
    // Values are mutable boxes whose weight the owner changes and reports with adjust().
    const rand = prng(seed);
    type Box = { key: string; w: number };
    const keys = new SortedKeys<Box>((b) => b.w);
    const boxes = new Map<string, Box>();
    const name = () => `/registry/cm/ns-${Math.floor(rand() * 5)}/c-${Math.floor(rand() * 3000)}`;
    const weightIn = (a: string, b: string | undefined) =>
      [...boxes.values()]
        .filter((x) => x.key >= a && (b === undefined || x.key < b))
        .reduce((n, x) => n + x.w, 0);
    for (let step = 0; step < 5000; step++) {
      const key = name();
      const box = boxes.get(key);
      if (!box) {
        const fresh = { key, w: rand() < 0.5 ? 1 : 0 };
        boxes.set(key, fresh);
        keys.insert(key, fresh);
      } else {
        const next = box.w === 1 ? 0 : 1;
        keys.adjust(key, next - box.w);
        box.w = next;
      }
      if (step % 700 === 699) {
        keys.retain((k) => !k.endsWith('3'));
        for (const k of [...boxes.keys()]) if (k.endsWith('3')) boxes.delete(k);
      }
      if (step % 53 === 0) {
        const [a, b] = [name(), name()].sort();
        const end = rand() < 0.2 ? undefined : b;
        const inSpan = [...boxes.values()]
          .filter((x) => x.key >= a && (end === undefined || x.key < end))
          .sort((x, y) => (x.key < y.key ? -1 : 1));
        // Stop after a random number of visits (sometimes never): the rest is weighed.
        const stopAfter = Math.floor(rand() * (inSpan.length + 2));
        const visited: string[] = [];
        const rest = keys.visitThenWeigh(a, end, (v) => {
          visited.push(v.key);
          return visited.length < stopAfter;
        });
        const seen = Math.min(Math.max(stopAfter, 1), inSpan.length);
        const expected = inSpan.slice(seen).reduce((n, x) => n + x.w, 0);
        expect({ seed, step, visited, rest }).toEqual({
          seed,
          step,
          visited: inSpan.slice(0, seen).map((x) => x.key),
          rest: expected,
        });
        expect(keys.visitThenWeigh(a, end, () => false) + (inSpan[0]?.w ?? 0)).toBe(
          weightIn(a, end),
        );
      }
    }
  });
});
