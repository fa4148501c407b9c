// A running three-member cluster of either system: start, readiness, leader lookup, member
// restart and stop. Readiness is judged the same way for both, through the etcd API.
import { KvClient } from './client';
import { int64ToNumber, int64ToString } from './etcd-wire';
import { MemberProcess, MemberSpec } from './member-process';

/** Each system plain, or with TLS on every port and client certificates (the `-tls` ones). */
export type SystemName = 'flotilla' | 'etcd' | 'flotilla-tls' | 'etcd-tls';
export const SYSTEMS: readonly SystemName[] = ['flotilla', 'flotilla-tls', 'etcd', 'etcd-tls'];

const READY_TIMEOUT_MS = 60_000;
const POLL_MS = 200;

export class BenchCluster {
  readonly members: MemberProcess[];

  constructor(
    readonly system: SystemName,
    specs: MemberSpec[],
  ) {
    this.members = specs.map((s) => new MemberProcess(s));
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.spec.clientEndpoint);
  }

  async start(): Promise<void> {
    for (const m of this.members) m.start();
    await this.waitReady(READY_TIMEOUT_MS);
  }

  /** Every running member answers Status, agrees on one leader, and accepts a write. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError = 'not polled';
    while (Date.now() < deadline) {
      try {
        await this.checkReady();
        return;
      } catch (err) {
        lastError = (err as Error).message;
      }
      await sleep(POLL_MS);
    }
    const logs = this.members.map((m) => `--- ${m.name}\n${m.logTail(15)}`).join('\n');
    throw new Error(`${this.system} not ready after ${timeoutMs} ms: ${lastError}\n${logs}`);
  }

  /** Index into members of the current leader, asked of every running member. */
  async leaderIndex(): Promise<number> {
    const ids = await this.memberIds();
    for (const m of this.members) {
      if (m.pid === undefined) continue;
      const status = await this.withClient(m.spec.clientEndpoint, (c) => c.status(1000)).catch(
        () => undefined,
      );
      const leader = status === undefined ? '0' : int64ToString(status.leader);
      const index = ids.indexOf(leader);
      if (leader !== '0' && index >= 0) return index;
    }
    throw new Error(`${this.system}: no member knows a leader`);
  }

  /** Highest Raft term any running member reports; a change across a workload means an election. */
  async raftTerm(): Promise<number> {
    let term = 0;
    for (const m of this.members) {
      if (m.pid === undefined) continue;
      const status = await this.withClient(m.spec.clientEndpoint, (c) => c.status(1000)).catch(
        () => undefined,
      );
      term = Math.max(term, int64ToNumber(status?.raftTerm));
    }
    return term;
  }

  async restartMember(index: number, timeoutMs: number): Promise<void> {
    this.members[index].start();
    await this.waitReady(timeoutMs);
  }

  async stop(graceMs: number): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop(graceMs)));
  }

  killAllNow(): void {
    for (const m of this.members) m.killNow();
  }

  private memberIdCache: string[] | undefined;

  /** member_id of each member, from its own response header (stable across restarts). */
  private async memberIds(): Promise<string[]> {
    if (this.memberIdCache !== undefined) return this.memberIdCache;
    const ids = await Promise.all(
      this.members.map((m) =>
        this.withClient(m.spec.clientEndpoint, (c) => c.status(2000)).then((s) =>
          int64ToString(s.header?.member_id),
        ),
      ),
    );
    this.memberIdCache = ids;
    return ids;
  }

  private async checkReady(): Promise<void> {
    const running = this.members.filter((m) => m.pid !== undefined);
    if (running.length !== this.members.length) {
      const dead = this.members.filter((m) => m.pid === undefined).map((m) => m.name);
      throw new Error(`member(s) ${dead.join(', ')} not running`);
    }
    const leaders = new Set<string>();
    for (const m of running) {
      const status = await this.withClient(m.spec.clientEndpoint, (c) => c.status(1000));
      leaders.add(int64ToString(status.leader));
    }
    if (leaders.has('0') || leaders.size !== 1) throw new Error('members do not agree on a leader');
    for (const m of running) {
      await this.withClient(m.spec.clientEndpoint, (c) =>
        c.put({ key: Buffer.from('/bench/ready'), value: Buffer.from(m.name) }, 3000),
      );
    }
  }

  private async withClient<T>(endpoint: string, fn: (c: KvClient) => Promise<T>): Promise<T> {
    const client = new KvClient(endpoint);
    try {
      return await fn(client);
    } finally {
      client.close();
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
