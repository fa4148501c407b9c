// A three-member cluster of the system under test, each member in its own network namespace:
// start, wait until it serves, find the leader, restart a killed member, tear everything down.
// Flotilla and etcd differ only in their command lines and in what "ready" means beyond the
// etcd API (Flotilla also serves the Kubernetes API).
import { connect } from 'node:net';
import { KvClient } from '../../../bench/kv/client';
import { int64ToString } from '../../../bench/kv/etcd-wire';
import { NetworkFabric } from '../support/network-fabric';
import { ManagedProcess } from '../support/processes';

export type SystemName = 'flotilla' | 'etcd';

export const CLIENT_PORT = 2379;
export const PEER_PORT = 2380;
export const API_PORT = 6443;
/** Raft timing of both systems: the production defaults, heartbeat 100 ms, election 1 s. */
export const TIMING = { heartbeatMs: 100, electionMs: 1000 } as const;

const READY_TIMEOUT_MS = 120_000;
const LISTEN_TIMEOUT_MS = 90_000;

export abstract class JepsenCluster {
  readonly processes = new Map<string, ManagedProcess>();
  private readonly clients = new Map<string, KvClient>();
  private memberIds: Map<string, string> | undefined;

  protected constructor(
    readonly system: SystemName,
    readonly fabric: NetworkFabric,
    /** Data directories and logs of every member. */
    readonly root: string,
  ) {}

  get names(): string[] {
    return this.fabric.names;
  }

  /** host:port of a member's etcd v3 API. */
  endpoint(name: string): string {
    return `${this.fabric.member(name).address}:${CLIENT_PORT}`;
  }

  /** http://host:port of a member's Kubernetes API; undefined for a system without one. */
  abstract apiBase(name: string): string | undefined;

  /** Beyond the etcd API: whatever else must answer before the workload starts. */
  protected abstract memberReady(name: string): Promise<void>;

  process(name: string): ManagedProcess {
    const p = this.processes.get(name);
    if (!p) throw new Error(`no member ${name}`);
    return p;
  }

  async start(): Promise<void> {
    for (const p of this.processes.values()) p.start();
    await this.waitReady(READY_TIMEOUT_MS);
  }

  /**
   * Starts a killed member again; resolves once its client port accepts connections (the end
   * of a kill fault: from here on it is expected to serve).
   */
  async restart(name: string): Promise<void> {
    this.process(name).start();
    this.dropClient(name);
    await this.waitListening(name, LISTEN_TIMEOUT_MS);
  }

  /** The member every answering member names as leader (paused ones are not asked). */
  async leader(): Promise<string | undefined> {
    const ids = await this.ids();
    for (const name of this.names) {
      const p = this.process(name);
      if (!p.running || p.isPaused) continue;
      const status = await this.client(name)
        .status(500)
        .catch(() => undefined);
      const leader = status === undefined ? '0' : int64ToString(status.leader);
      for (const [member, id] of ids) if (id === leader) return member;
    }
    return undefined;
  }

  /** A long-lived client of one member (for the harness itself, not the workload). */
  client(name: string): KvClient {
    let c = this.clients.get(name);
    if (!c) {
      c = new KvClient(this.endpoint(name));
      this.clients.set(name, c);
    }
    return c;
  }

  dropClient(name: string): void {
    this.clients.get(name)?.close();
    this.clients.delete(name);
  }

  /** Stops every member and deletes the namespaces. */
  async shutdown(): Promise<void> {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    await Promise.all([...this.processes.values()].map((p) => p.stop(5000)));
    await this.fabric.destroy();
  }

  killAllNow(): void {
    for (const p of this.processes.values()) p.killNow();
  }

  logTails(lines: number): string {
    return [...this.processes.values()]
      .map((p) => `--- ${p.name} (${this.system})\n${p.logTail(lines)}`)
      .join('\n');
  }

  /** Every member answers Status, all agree on one leader, each accepts a write. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'not polled';
    while (Date.now() < deadline) {
      try {
        await this.checkReady();
        return;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(250);
    }
    throw new Error(
      `${this.system} not ready after ${timeoutMs} ms: ${last}\n${this.logTails(20)}`,
    );
  }

  private async checkReady(): Promise<void> {
    const dead = this.names.filter((n) => !this.process(n).running);
    if (dead.length > 0) throw new Error(`member(s) ${dead.join(', ')} exited`);
    const leaders = new Set<string>();
    for (const name of this.names) {
      leaders.add(int64ToString((await this.client(name).status(1000)).leader));
    }
    if (leaders.has('0') || leaders.size !== 1) throw new Error('members do not agree on a leader');
    for (const name of this.names) {
      await this.client(name).put(
        { key: Buffer.from('/jepsen/ready'), value: Buffer.from(name) },
        3000,
      );
      await this.memberReady(name);
    }
  }

  private async ids(): Promise<Map<string, string>> {
    if (this.memberIds) return this.memberIds;
    const ids = new Map<string, string>();
    for (const name of this.names) {
      const status = await this.client(name).status(2000);
      ids.set(name, int64ToString(status.header?.member_id));
    }
    this.memberIds = ids;
    return ids;
  }

  private async waitListening(name: string, timeoutMs: number): Promise<void> {
    const { address } = this.fabric.member(name);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.process(name).running) {
        throw new Error(`${name} exited while starting\n${this.process(name).logTail(20)}`);
      }
      if (await canConnect(address, CLIENT_PORT)) return;
      await sleep(50);
    }
    throw new Error(
      `${name} not listening after ${timeoutMs} ms\n${this.process(name).logTail(20)}`,
    );
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
