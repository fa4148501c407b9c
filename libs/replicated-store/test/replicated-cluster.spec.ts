import { LocalCluster, eventually } from './harness';

async function valueAt(
  cluster: LocalCluster,
  id: string,
  key: string,
): Promise<string | undefined> {
  const m = cluster.members.get(id);
  if (!m) return undefined;
  const r = await m.store.range({ key: Buffer.from(key) });
  return r.kvs[0]?.value.toString();
}

describe('RaftNode: three real members on loopback', () => {
  let cluster: LocalCluster;

  beforeEach(async () => {
    cluster = new LocalCluster(['m1', 'm2', 'm3']);
    await cluster.startAll();
  });

  afterEach(async () => {
    await cluster.stopAll();
  });

  it('elects a leader and replicates writes proposed on any member to every store', async () => {
    const leader = await cluster.waitForLeader();
    const follower = [...cluster.members.values()].find((m) => m !== leader)!;
    await cluster.put(leader, 'a', '1');
    await cluster.put(follower, 'b', '2'); // forwarded to the leader
    for (const id of ['m1', 'm2', 'm3']) {
      await eventually(async () => (await valueAt(cluster, id, 'b')) === '2');
      expect(await valueAt(cluster, id, 'a')).toBe('1');
    }
  });

  it('a read barrier on a follower sees every write acknowledged before it', async () => {
    const leader = await cluster.waitForLeader();
    const follower = [...cluster.members.values()].find((m) => m !== leader)!;
    for (let i = 0; i < 20; i++) {
      await cluster.put(leader, 'k', `v${i}`);
      await follower.node.readBarrier();
      expect(await valueAt(cluster, follower.id, 'k')).toBe(`v${i}`);
    }
  });

  it('survives the loss of the leader: a new leader takes over and nothing acknowledged is lost', async () => {
    const leader = await cluster.waitForLeader();
    const acked: string[] = [];
    for (let i = 0; i < 30; i++) {
      await cluster.put(leader, `k${i}`, 'x');
      acked.push(`k${i}`);
    }
    await cluster.stopMember(leader.id);
    const next = await cluster.waitForLeader();
    expect(next.id).not.toBe(leader.id);
    await cluster.put(next, 'after', 'y');
    acked.push('after');
    for (const m of cluster.members.values()) {
      for (const k of acked)
        await eventually(async () => (await valueAt(cluster, m.id, k)) !== undefined);
    }
    // The old leader restarts from its disk and catches up (by log, or by snapshot: every 50).
    await cluster.startMember(leader.id);
    await eventually(async () => (await valueAt(cluster, leader.id, 'after')) === 'y');
  });

  it('a member whose data was wiped rejoins through a snapshot', async () => {
    const leader = await cluster.waitForLeader();
    const victim = [...cluster.members.values()].find((m) => m !== leader)!;
    await cluster.stopMember(victim.id);
    const { rmSync } = await import('node:fs');
    rmSync(victim.dir, { recursive: true, force: true });
    for (let i = 0; i < 120; i++) await cluster.put(leader, `w${i}`, `${i}`);
    await cluster.startMember(victim.id);
    await eventually(async () => (await valueAt(cluster, victim.id, 'w119')) === '119', 15000);
    expect(await valueAt(cluster, victim.id, 'w0')).toBe('0');
  });

  it('a member whose store is ahead of its log catches up without applying anything twice', async () => {
    // Entries are applied once a majority holds them, maybe before this member's own log write
    // ends; after a machine crash its store can then be ahead of its log. Made here by putting
    // back an older copy of its log, and by a leader change (a new leader learns from scratch
    // how far the member's log goes).
    const { cpSync, rmSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const leader = await cluster.waitForLeader();
    const [victim, third] = [...cluster.members.values()].filter((m) => m !== leader);
    for (let i = 0; i < 10; i++) await cluster.put(leader, `s${i}`, `${i}`);
    await eventually(async () => (await valueAt(cluster, victim.id, 's9')) === '9');
    await cluster.stopMember(victim.id);
    const oldLog = join(mkdtempSync(join(tmpdir(), 'flotilla-old-log-')), 'raft');
    cpSync(join(victim.dir, 'raft'), oldLog, { recursive: true });
    await cluster.startMember(victim.id);
    for (let i = 10; i < 15; i++) await cluster.put(leader, `s${i}`, `${i}`);
    await eventually(async () => (await valueAt(cluster, victim.id, 's14')) === '14');
    await cluster.stopMember(victim.id);
    rmSync(join(victim.dir, 'raft'), { recursive: true, force: true });
    cpSync(oldLog, join(victim.dir, 'raft'), { recursive: true });

    await cluster.stopMember(leader.id);
    const back = await cluster.startMember(victim.id);
    expect(back.store.appliedIndex).toBeGreaterThan(back.node.status().lastIndex);
    // Only the third member and the victim are up: a write needs the victim's log again.
    const next = await cluster.waitForLeader();
    expect(next.id).toBe(third.id);
    await cluster.put(next, 'after', 'y');
    await eventually(async () => (await valueAt(cluster, back.id, 'after')) === 'y');
    const revision = async (id: string) =>
      (await cluster.members.get(id)!.store.range({ key: Buffer.from('s0') })).header.revision;
    // Applying the replayed entries again would have made new revisions.
    expect(await revision(back.id)).toBe(await revision(next.id));
    expect(await valueAt(cluster, back.id, 's14')).toBe('14');
    expect(back.store.appliedIndex).toBe(next.store.appliedIndex);
  });

  it('graceful stop of the leader hands leadership over first', async () => {
    const leader = await cluster.waitForLeader();
    await cluster.stopMember(leader.id, true);
    const next = await cluster.waitForLeader(3000);
    expect(next.id).not.toBe(leader.id);
  });
});

describe('RaftNode: clusters never mix', () => {
  it('a member with another cluster token is refused and cannot join the election', async () => {
    const cluster = new LocalCluster(['m1', 'm2', 'm3']);
    try {
      await cluster.startAll();
      const leader = await cluster.waitForLeader();
      const stranger = [...cluster.members.values()].find((m) => m !== leader)!;
      await cluster.stopMember(stranger.id);
      const rejoined = await cluster.startMember(stranger.id, undefined, 'another-cluster');
      await new Promise((r) => setTimeout(r, 1000));
      expect(rejoined.transport.stats.received).toBe(0);
      expect(
        [...['m1', 'm2', 'm3']]
          .filter((p) => p !== stranger.id)
          .some((p) => rejoined.transport.connected(p)),
      ).toBe(false);
      // The other two still form a majority and serve writes.
      await cluster.put(leader, 'still', 'works');
    } finally {
      await cluster.stopAll();
    }
  });
});
