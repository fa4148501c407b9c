// collectHits at the latest revision (the rest of the span counted by whole index blocks) against
// the same over an index that offers only the key-by-key path, under random creates, deletes,
// re-creates and compactions.
import { collectHits } from '../src/range-plan';
import { KeySpan, TreeIndex, keySpan } from '../src/tree-index';
import { prng } from './helpers';

const b = (s: string) => Buffer.from(s, 'latin1');

/** The same index, without the block counts. */
const keyByKey = (index: TreeIndex) => ({
  span: (span: KeySpan) => index.span(span),
  visitThenCountLive: () => undefined,
});

describe('counting a range by index blocks', () => {
  it.each([1, 2, 3])('agrees with a key-by-key count (seed %i)', (seed) => {
    const rand = prng(seed);
    const index = new TreeIndex();
    let rev = 1;
    const name = () =>
      `/registry/configmaps/ns-${Math.floor(rand() * 4)}/c-${Math.floor(rand() * 2500)}`;
    for (let step = 0; step < 6000; step++) {
      rev++;
      const key = name();
      const ki = index.getOrCreate(key);
      const cur = ki.latest();
      if (cur !== undefined && rand() < 0.3) index.tombstone(ki, { main: rev, sub: 0 });
      else
        index.put(
          ki,
          { main: rev, sub: 0 },
          cur?.createRevision ?? rev,
          (cur?.version ?? 0) + 1,
          0,
        );
      if (step % 1500 === 1499) index.compact(rev - 200);
      if (step % 37 === 0) {
        const ns = `/registry/configmaps/ns-${Math.floor(rand() * 4)}/`;
        const span =
          rand() < 0.2 ? keySpan(b(ns), b('\0')) : keySpan(b(ns), b(`${ns.slice(0, -1)}0`));
        for (const keep of [0, 2, 101, Infinity]) {
          const req = {
            key: b(span.start),
            countOnly: keep === 0,
            limit: keep === Infinity ? 0 : keep - 1,
          };
          const view = (r: ReturnType<typeof collectHits>) => ({
            count: r.count,
            keys: r.hits.map((h) => h.ki.name),
            revs: r.hits.map((h) => h.at.mod.main),
          });
          const fast = collectHits(index, span, rev, req);
          const slow = collectHits(keyByKey(index), span, rev, req);
          expect({ seed, step, keep, got: view(fast) }).toEqual({
            seed,
            step,
            keep,
            got: view(slow),
          });
        }
        // The block counts answer only at the latest revision; the past goes key by key.
        expect(index.visitThenCountLive(span, rev, () => true)).toBeDefined();
        expect(index.visitThenCountLive(span, rev - 1, () => true)).toBeUndefined();
      }
    }
  });

  it('a single key is looked up, not counted by blocks', () => {
    const index = new TreeIndex();
    const ki = index.getOrCreate('/k');
    index.put(ki, { main: 2, sub: 0 }, 2, 1, 0);
    expect(index.visitThenCountLive(keySpan(b('/k'), undefined), 2, () => true)).toBeUndefined();
  });
});
