// A fixed set of connections spread round-robin over a cluster's members, the leader first so a
// single-connection load always talks to the leader on both systems.
import { KvClient } from './client';

export class ClientPool {
  private readonly clients: KvClient[];

  constructor(endpointsLeaderFirst: string[], connections: number) {
    this.clients = Array.from(
      { length: connections },
      (_, i) => new KvClient(endpointsLeaderFirst[i % endpointsLeaderFirst.length]),
    );
  }

  get size(): number {
    return this.clients.length;
  }

  /** The connection for worker `w` when `active` connections are in use. */
  forWorker(w: number, active: number): KvClient {
    return this.clients[w % Math.min(active, this.clients.length)];
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}

export function leaderFirst(endpoints: string[], leader: number): string[] {
  return [endpoints[leader], ...endpoints.filter((_, i) => i !== leader)];
}
