// kube-proxy's health, as upstream reports it on its own port: healthy while every queued change
// reached the kernel, or has waited less than the timeout. /healthz is also unhealthy when the node
// is being deleted (so load balancers stop sending to it); /livez is not.
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';

export class ProxyHealth {
  private pendingSince: number | undefined;
  private lastUpdated: number | undefined;
  private nodeDeleting = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A change waits for a sync (only the oldest waiting one counts). */
  queued(): void {
    this.pendingSince ??= this.now();
  }

  /** A sync reached the kernel. */
  updated(): void {
    this.pendingSince = undefined;
    this.lastUpdated = this.now();
  }

  setNodeDeleting(deleting: boolean): void {
    this.nodeDeleting = deleting;
  }

  status(): {
    live: boolean;
    healthy: boolean;
    lastUpdated?: string;
    currentTime: string;
    nodeEligible: boolean;
  } {
    const now = this.now();
    const live = this.pendingSince === undefined || now - this.pendingSince < this.timeoutMs;
    return {
      live,
      healthy: live && !this.nodeDeleting,
      lastUpdated:
        this.lastUpdated === undefined ? undefined : new Date(this.lastUpdated).toISOString(),
      currentTime: new Date(now).toISOString(),
      nodeEligible: !this.nodeDeleting,
    };
  }
}

/** Serves /healthz and /livez for one or more proxies (IPv4 and IPv6 must both be healthy). */
export function startHealthServer(
  healths: readonly ProxyHealth[],
  host: string,
  port: number,
): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/healthz' && path !== '/livez') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    const statuses = healths.map((h) => h.status());
    const ok = statuses.every((s) => (path === '/livez' ? s.live : s.healthy));
    const first = statuses[0];
    const lastUpdated = statuses
      .map((s) => s.lastUpdated)
      .filter((t): t is string => t !== undefined)
      .sort()[0];
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        lastUpdated: lastUpdated ?? null,
        currentTime: first?.currentTime ?? new Date().toISOString(),
        nodeEligible: statuses.every((s) => s.nodeEligible),
      }),
    );
  };
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve({
        server,
        port: typeof address === 'object' && address ? address.port : port,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}
