import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { MvccStore, encodeCommand } from '@flotilla/store';
import { PeerTransport, RaftNode } from '@flotilla/raft-node';
import { StoreMachine } from '../src';

export interface Member {
  id: string;
  dir: string;
  store: MvccStore;
  node: RaftNode;
  transport: PeerTransport;
  server: WebSocketServer;
}

/** Three (or N) real members in one process: real disks, real WebSockets on loopback. */
export class LocalCluster {
  readonly members = new Map<string, Member>();
  private readonly ports = new Map<string, number>();
  readonly root = mkdtempSync(join(tmpdir(), 'flotilla-raft-node-'));

  constructor(
    readonly ids: string[],
    private readonly token = 'test-cluster',
  ) {}

  async startAll(): Promise<void> {
    // Listen first so every peer URL is known before anyone dials.
    const servers = new Map<string, WebSocketServer>();
    for (const id of this.ids) servers.set(id, await this.listen(id));
    for (const id of this.ids) await this.startMember(id, servers.get(id)!);
  }

  private async listen(id: string): Promise<WebSocketServer> {
    const port = this.ports.get(id) ?? 0;
    const server = new WebSocketServer({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    this.ports.set(id, (server.address() as AddressInfo).port);
    return server;
  }

  async startMember(id: string, server?: WebSocketServer, token = this.token): Promise<Member> {
    const srv = server ?? (await this.listen(id));
    const dir = join(this.root, id);
    const store = await MvccStore.open(join(dir, 'store'));
    const node = await RaftNode.open(
      {
        id,
        initialMembers: this.ids,
        dataDir: join(dir, 'raft'),
        tickMs: 20,
        snapshotEvery: 50,
        proposalTimeoutMs: 3000,
      },
      new StoreMachine(store),
    );
    const peers = new Map(this.ids.map((p) => [p, `ws://127.0.0.1:${this.ports.get(p)}`]));
    const transport = new PeerTransport({
      id,
      clusterToken: token,
      peers,
      reconnectMinMs: 20,
      reconnectMaxMs: 200,
      onMessage: (m) => node.step(m),
    });
    srv.on('connection', (ws) => transport.accept(ws));
    node.start(transport);
    transport.start();
    const member = { id, dir, store, node, transport, server: srv };
    this.members.set(id, member);
    return member;
  }

  async stopMember(id: string, handOver = false): Promise<void> {
    const m = this.members.get(id);
    if (!m) return;
    this.members.delete(id);
    await m.node.stop(handOver);
    m.transport.stop();
    for (const c of m.server.clients) c.terminate();
    await new Promise<void>((resolve) => m.server.close(() => resolve()));
    await m.store.close();
  }

  async waitForLeader(timeoutMs = 10000): Promise<Member> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const m of this.members.values()) {
        if (m.node.isLeader()) {
          const agreed = [...this.members.values()].filter((o) => o.node.leader() === m.id).length;
          if (agreed > this.members.size / 2 || agreed === this.members.size) return m;
        }
      }
      await sleep(20);
    }
    throw new Error('no leader elected in time');
  }

  async put(via: Member, key: string, value: string): Promise<unknown> {
    return via.node.propose(
      encodeCommand({ type: 'put', request: { key: Buffer.from(key), value: Buffer.from(value) } }),
    );
  }

  async stopAll(): Promise<void> {
    for (const id of [...this.members.keys()]) await this.stopMember(id);
    rmSync(this.root, { recursive: true, force: true });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function eventually<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    await sleep(25);
  }
  throw new Error(
    `condition not met in ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`,
  );
}
