// The deadline of an etcd call reaches the read barrier: a linearizable read waits on it no
// longer than its client does.
import type { RangeRequest } from '@flotilla/store';
import type { ReplicatedStore } from '@flotilla/replicated-store';
import type { MemberDirectory } from '../replication/member-directory';
import { RaftEtcdBackend } from './raft-etcd-backend';

function fakeStore() {
  const barriers: Array<number | undefined> = [];
  const answer = { header: { revision: 1 }, kvs: [], more: false, count: 0 };
  const kv = {
    node: {
      readBarrier: (timeoutMs?: number) => {
        barriers.push(timeoutMs);
        return Promise.resolve();
      },
    },
    store: { range: () => Promise.resolve(answer) },
    range: () => Promise.resolve(answer),
  };
  const backend = new RaftEtcdBackend(
    kv as unknown as ReplicatedStore,
    {} as unknown as MemberDirectory,
  );
  return { backend, barriers };
}

const read: RangeRequest = { key: Buffer.from('k') } as RangeRequest;
const ctx = (deadline: number | undefined) => ({ deadline, onDone: () => () => undefined });

describe('RaftEtcdBackend.range', () => {
  it("waits on the read barrier until the client's deadline at most", async () => {
    const { backend, barriers } = fakeStore();
    const before = Date.now();
    await backend.range(read, ctx(before + 1500));
    expect(barriers).toHaveLength(1);
    expect(barriers[0]).toBeGreaterThan(0);
    expect(barriers[0]).toBeLessThanOrEqual(1500);
  });

  it('waits no time at all once the deadline has passed', async () => {
    const { backend, barriers } = fakeStore();
    await backend.range(read, ctx(Date.now() - 10));
    expect(barriers).toEqual([0]);
  });

  it("keeps the store's own bound without a deadline, and no barrier for serializable reads", async () => {
    const { backend, barriers } = fakeStore();
    await backend.range(read, ctx(undefined));
    await backend.range(read);
    await backend.range({ ...read, serializable: true }, ctx(Date.now() + 1000));
    expect(barriers).toEqual([]);
  });
});
