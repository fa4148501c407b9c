import { SnapshotUnavailableError } from './storage';
import { TestCluster } from './testing/cluster';

const text = (s: string) => new TextEncoder().encode(s);

describe('Raft §7 log compaction and InstallSnapshot', () => {
  it('a snapshot whose data is read lazily is sent from its reader; entries after it stay', () => {
    const c = new TestCluster(['a', 'b', 'c'], { maxSnapshotChunk: 8 });
    c.elect('a');
    c.isolate('c');
    for (let i = 0; i < 10; i++) c.propose('a', `v${i}`, i);
    c.stabilize();
    const a = c.node('a');
    const at = a.raft.log.applied - 2;
    let reads = 0;
    const meta = a.snapshotMeta(at);
    const lazy = {
      meta,
      get data() {
        reads++;
        return text('lazily-read-image');
      },
    };
    expect(a.compactTo(lazy)).toBe(lazy);
    expect(reads).toBe(0);
    expect(c.get('a').storage.firstIndex()).toBe(at + 1);
    expect(c.get('a').storage.lastIndex()).toBe(a.raft.log.applied);
    expect(() =>
      a.compactTo({ meta: { ...meta, index: at + 1, term: 99 }, data: text('') }),
    ).toThrow(/does not match the log/);

    c.heal();
    c.tickAll(3);
    c.stabilize();
    expect(reads).toBeGreaterThan(0);
    expect(new TextDecoder().decode(c.get('c').storage.snapshot().data)).toBe('lazily-read-image');
    expect(c.node('c').raft.log.committed).toBe(a.raft.log.committed);
  });

  it('an image still being prepared is not sent; the leader tries again once it is there', () => {
    const c = new TestCluster(['a', 'b', 'c'], { maxSnapshotChunk: 64 });
    c.elect('a');
    c.isolate('c');
    for (let i = 0; i < 10; i++) c.propose('a', `v${i}`, i);
    c.stabilize();
    const a = c.node('a');
    const meta = a.snapshotMeta(a.raft.log.applied);
    let asked = 0;
    // Compacted against the application's own durable state: no image yet.
    a.compactTo({
      meta,
      get data(): Uint8Array {
        asked++;
        throw new SnapshotUnavailableError(meta.index);
      },
    });

    c.heal();
    c.sent.length = 0;
    c.tickAll(3);
    c.stabilize();
    expect(asked).toBeGreaterThan(0);
    expect(c.sent.filter((m) => m.type === 'snap')).toEqual([]);
    expect(c.get('c').storage.snapshot().meta.index).toBe(0);

    // The image is ready: the same snapshot, now with data, takes the place of the first.
    expect(a.compactTo({ meta, data: text('the-image') }).data).toEqual(text('the-image'));
    c.tickAll(3);
    c.stabilize();
    expect(new TextDecoder().decode(c.get('c').storage.snapshot().data)).toBe('the-image');
    expect(c.node('c').raft.log.committed).toBe(a.raft.log.committed);
  });

  it('a follower behind the compacted log receives the snapshot in chunks and catches up', () => {
    const c = new TestCluster(['a', 'b', 'c'], { maxSnapshotChunk: 4 });
    c.elect('a');
    c.isolate('c');
    for (let i = 0; i < 20; i++) c.propose('a', `v${i}`, i);
    c.stabilize();
    const a = c.node('a');
    const state = text('state-machine-image-0123456789'); // 30 bytes: 8 chunks of 4
    a.createSnapshot(a.raft.log.applied, state);
    expect(c.get('a').storage.firstIndex()).toBe(a.raft.log.applied + 1);

    c.heal();
    c.sent.length = 0;
    c.tickAll(3);
    const chunks = c.sent.filter((m) => m.type === 'snap' && m.to === 'c');
    expect(chunks.length).toBe(8);
    expect(chunks.map((m) => m.chunk!.offset)).toEqual([0, 4, 8, 12, 16, 20, 24, 28]);
    const cs = c.get('c').storage.snapshot();
    expect(cs.meta.index).toBe(a.raft.log.applied);
    expect(new TextDecoder().decode(cs.data)).toBe('state-machine-image-0123456789');
    c.propose('a', 'after');
    c.stabilize();
    expect(c.node('c').raft.log.committed).toBe(a.raft.log.committed);
    expect(c.appliedTexts('c')).toEqual(['after']);
  });

  it('a lost chunk is sent again from where the follower stopped', () => {
    const c = new TestCluster(['a', 'b', 'c'], { maxSnapshotChunk: 4 });
    c.elect('a');
    c.isolate('c');
    for (let i = 0; i < 5; i++) c.propose('a', `v${i}`, i);
    c.stabilize();
    c.node('a').createSnapshot(c.node('a').raft.log.applied, text('0123456789abcdef'));
    let dropped = false;
    c.filter = (m) => {
      if (m.type === 'snap' && m.chunk!.offset === 8 && !dropped) {
        dropped = true;
        return false;
      }
      return true;
    };
    c.tickAll(30);
    expect(dropped).toBe(true);
    expect(new TextDecoder().decode(c.get('c').storage.snapshot().data)).toBe('0123456789abcdef');
  });

  it('a restarted member recovers from its snapshot and log alone', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    for (let i = 0; i < 10; i++) c.propose('a', `v${i}`, i);
    c.stabilize();
    const b = c.node('b');
    b.createSnapshot(5, text('image'));
    const commit = b.raft.log.committed;
    c.restart('b');
    expect(c.node('b').raft.log.committed).toBe(commit);
    expect(c.node('b').raft.log.applied).toBe(5);
    c.tickAll(2);
    // Entries after the snapshot are handed out again so the application can catch up.
    expect(c.get('b').applied[0].index).toBe(6);
  });
});
