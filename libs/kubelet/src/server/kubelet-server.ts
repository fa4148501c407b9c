// The kubelet's own server (port 10250): /healthz, /pods, /metrics (and /metrics/resource,
// /metrics/cadvisor: container-metrics.ts), /containerLogs, and the exec,
// attach and port-forward upgrades the API server proxies here. HTTPS with the node's serving pair
// when one is given, plain HTTP otherwise; with a client CA each request, /healthz included, is
// authorized on this Node (kubelet-authorizer.ts); probes use the agent's plain health port.
// Errors answer as Kubernetes Status objects, which the API server passes on to kubectl.
import { promises as fs } from 'node:fs';
import {
  createServer as createHttpServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { isAbsolute, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { clientCertificateOf } from '@flotilla/pki/client-identity';
import { podLogDirectory } from '../pod/runtime-config';
import type { NodeLayout } from '../pod/runtime-config';
import type { Pod } from '../pod/types';
import { LABEL_CONTAINER_NAME, LABEL_POD_UID } from '../runtime/labels';
import type { ContainerRuntime, ContainerSummary } from '../runtime/runtime';
import type { Logger } from '../util/logger';
import { LogSource, parseLogOptions, streamLog } from './container-logs';
import { ContainerMetrics, PROMETHEUS_TEXT } from './container-metrics';
import { KubeletAuthorizer, KubeletUser, nodeAttributes } from './kubelet-authorizer';
import { forwardUpgrade, refuseUpgrade, webSocketRefusal } from './stream-upgrade';

export interface KubeletServerOptions {
  /** Address to bind (0.0.0.0: every address of the node). */
  host: string;
  /** 0: any free port (see port after start). */
  port: number;
  /**
   * The node's serving certificate and key (PEM): HTTPS; absent: plain HTTP. With clientCa,
   * every request (/healthz too, as nodes/proxy) needs a client certificate from that CA (401
   * without one) that the authorizer admits (403 otherwise).
   */
  tls?: { cert: string | Buffer; key: string | Buffer; clientCa?: string | Buffer };
  /** Decides for client certificates; default: only system:masters (the API server). */
  authorizer?: KubeletAuthorizer;
  /** The node's name: the Node object requests are authorized against. */
  nodeName?: string;
  /** The agent's metrics (Prometheus text); absent: /metrics is not served. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /**
   * /metrics/resource and /metrics/cadvisor; absent: from the runtime, the node's usage the sum
   * of its containers.
   */
  containerMetrics?: ContainerMetrics;
  /** The pods the node runs, with their latest status. */
  pods: () => Pod[];
  runtime: ContainerRuntime;
  layout: Pick<NodeLayout, 'podLogRoot'>;
  logger: Logger;
  /** How often `follow` looks for new log lines. */
  logPollMs?: number;
  now?: () => number;
}

/** An error with the HTTP code and Kubernetes reason it answers with. */
class ServeError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const badRequest = (m: string) => new ServeError(400, 'BadRequest', m);
const notFound = (m: string) => new ServeError(404, 'NotFound', m);

function status(err: unknown): { code: number; body: Record<string, unknown> } {
  const e =
    err instanceof ServeError ? err : new ServeError(500, 'InternalError', (err as Error).message);
  return {
    code: e.code,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: e.message,
      reason: e.reason,
      code: e.code,
    },
  };
}

function truthy(query: URLSearchParams, ...names: string[]): boolean {
  return names.some((n) => ['true', '1'].includes(query.get(n) ?? ''));
}

export class KubeletServer {
  private server?: Server;
  /** Upgraded connections: no longer the HTTP server's, closed by close() all the same. */
  private readonly streams = new Set<Duplex>();
  private readonly pollMs: number;
  private readonly now: () => number;
  private readonly authorizer: KubeletAuthorizer;
  private readonly containerMetrics: ContainerMetrics;

  constructor(private readonly o: KubeletServerOptions) {
    this.pollMs = o.logPollMs ?? 250;
    this.now = o.now ?? Date.now;
    this.authorizer = o.authorizer ?? new KubeletAuthorizer();
    this.containerMetrics =
      o.containerMetrics ??
      new ContainerMetrics({ runtime: o.runtime, pods: o.pods, now: this.now });
  }

  get scheme(): 'http' | 'https' {
    return this.o.tls ? 'https' : 'http';
  }

  /** The bound port. */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<number> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.serve(req, res);
    const tls = this.o.tls;
    const server = tls
      ? createHttpsServer(
          {
            cert: tls.cert,
            key: tls.key,
            ...(tls.clientCa
              ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: false }
              : {}),
          },
          handler,
        )
      : createHttpServer(handler);
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => undefined);
      this.streams.add(socket);
      socket.once('close', () => this.streams.delete(socket));
      void this.upgrade(req, socket, head).catch((err) => {
        const s = status(err);
        refuseUpgrade(socket, s.code, s.body);
      });
    });
    server.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return this.port;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections();
    for (const stream of this.streams) stream.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://kubelet');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    try {
      await this.checkClient(req, url.pathname, false);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        if (['exec', 'attach', 'portForward'].includes(parts[0])) {
          throw badRequest(`${parts[0]} needs an upgrade to SPDY/3.1 or WebSocket`);
        }
        throw new ServeError(405, 'MethodNotAllowed', `${req.method} is not supported here`);
      }
      if (url.pathname === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        return;
      }
      if (url.pathname === '/pods' || url.pathname === '/pods/') {
        const body = { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: this.o.pods() };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        return;
      }
      if (url.pathname === '/metrics' && this.o.metrics) {
        const m = await this.o.metrics();
        res.writeHead(200, { 'content-type': m.contentType }).end(m.body);
        return;
      }
      if (url.pathname === '/metrics/resource' || url.pathname === '/metrics/cadvisor') {
        const body =
          url.pathname === '/metrics/resource'
            ? await this.containerMetrics.resource()
            : await this.containerMetrics.cadvisor();
        res.writeHead(200, { 'content-type': PROMETHEUS_TEXT }).end(body);
        return;
      }
      if (parts[0] === 'containerLogs' && parts.length === 4) {
        await this.containerLogs(parts[1], parts[2], parts[3], url.searchParams, req, res);
        return;
      }
      throw notFound(`${url.pathname} is not served here`);
    } catch (err) {
      const s = status(err);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(s.code, { 'content-type': 'application/json' }).end(JSON.stringify(s.body));
    }
  }

  /**
   * With a client CA: the certificate's user (read as the API server reads it), authorized for
   * this request on this node. Every path, /healthz too: Kubernetes' kubelet authorizes it as
   * nodes/proxy; probes use the plain health port instead.
   */
  private async checkClient(req: IncomingMessage, path: string, upgrade: boolean): Promise<void> {
    if (!this.o.tls?.clientCa) return;
    const presented = clientCertificateOf(req.socket);
    if (!presented?.verified) {
      const why = presented ? `: ${presented.error}` : '';
      throw new ServeError(
        401,
        'Unauthorized',
        `a client certificate from the cluster CA is required${why}`,
      );
    }
    const user: KubeletUser = {
      name: presented.user.name,
      groups: [...presented.user.groups, 'system:authenticated'],
    };
    const attrs = nodeAttributes(req.method ?? 'GET', path, this.o.nodeName ?? '', upgrade);
    const decision = await this.authorizer.authorize(user, attrs);
    if (!decision.allowed) throw new ServeError(403, 'Forbidden', decision.message);
  }

  private findPod(namespace: string, name: string): Pod {
    const candidates = this.o
      .pods()
      .filter((p) => p.metadata.namespace === namespace && p.metadata.name === name);
    const pod = candidates.find((p) => !p.metadata.deletionTimestamp) ?? candidates[0];
    if (!pod) throw notFound(`pod "${name}" in namespace "${namespace}" is not on this node`);
    return pod;
  }

  private checkContainer(pod: Pod, container: string): void {
    const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
    if (!all.some((c) => c.name === container)) {
      throw badRequest(
        `container ${container} is not valid for pod ${pod.metadata.name}; choose one of: [${all.map((c) => c.name).join(' ')}]`,
      );
    }
  }

  /** The container's instances in the runtime, newest first. */
  private async instances(pod: Pod, container: string): Promise<ContainerSummary[]> {
    const found = await this.o.runtime.listContainers({
      labels: { [LABEL_POD_UID]: pod.metadata.uid, [LABEL_CONTAINER_NAME]: container },
    });
    return found.sort(
      (a, b) => b.metadata.attempt - a.metadata.attempt || b.createdAt - a.createdAt,
    );
  }

  private async containerLogs(
    namespace: string,
    name: string,
    container: string,
    query: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    let options;
    try {
      options = parseLogOptions(query, this.now());
    } catch (err) {
      throw badRequest((err as Error).message);
    }
    const pod = this.findPod(namespace, name);
    this.checkContainer(pod, container);
    const instances = await this.instances(pod, container);
    const instance = options.previous ? instances[1] : instances[0];
    if (!instance) {
      throw badRequest(
        options.previous
          ? `previous terminated container "${container}" in pod "${name}" not found`
          : `container "${container}" in pod "${name}" is waiting to start`,
      );
    }
    const source = await this.logSource(pod, instance);
    let gone = false;
    res.on('close', () => (gone = true));
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.flushHeaders();
    await streamLog(
      source,
      // A previous instance has ended: nothing more will come.
      options.previous ? { ...options, follow: false } : options,
      {
        write: (text) =>
          new Promise<boolean>((resolve) => {
            if (gone || res.destroyed) return resolve(false);
            res.write(text, () => resolve(!gone));
          }),
        closed: () => gone || res.destroyed,
      },
      { pollMs: this.pollMs, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
    );
    res.end();
  }

  private async logSource(pod: Pod, instance: ContainerSummary): Promise<LogSource> {
    const runtime = this.o.runtime;
    // A created instance is about to start: a follower waits for its lines too.
    const running = async () => {
      const state = (await runtime.containerStatus(instance.id))?.state;
      return state === 'running' || state === 'created';
    };
    if (runtime.containerLog) {
      const read = runtime.containerLog.bind(runtime);
      return { read: async (offset) => (await read(instance.id)).subarray(offset), running };
    }
    const st = await runtime.containerStatus(instance.id);
    if (!st) throw notFound(`container ${instance.metadata.name} is gone from the runtime`);
    const path = isAbsolute(st.logPath)
      ? st.logPath
      : join(podLogDirectory(this.o.layout, pod), st.logPath);
    return { read: (offset) => readFrom(path, offset), running };
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://kubelet');
    await this.checkClient(req, url.pathname, true);
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const q = url.searchParams;
    const runtime = this.o.runtime;
    let target: string;
    if ((parts[0] === 'exec' || parts[0] === 'attach') && parts.length === 4) {
      const refusal = webSocketRefusal(req, 'remotecommand');
      if (refusal) throw badRequest(refusal);
      const pod = this.findPod(parts[1], parts[2]);
      this.checkContainer(pod, parts[3]);
      const running = (await this.instances(pod, parts[3])).find((c) => c.state === 'running');
      if (!running) {
        throw badRequest(`container ${parts[3]} in pod ${parts[2]} is not running`);
      }
      const request = {
        containerId: running.id,
        tty: truthy(q, 'tty'),
        stdin: truthy(q, 'stdin', 'input'),
        stdout: truthy(q, 'stdout', 'output'),
        stderr: truthy(q, 'stderr', 'error'),
      };
      if (parts[0] === 'exec') {
        const cmd = q.getAll('command');
        if (cmd.length === 0)
          throw badRequest('you must specify at least one command for the container');
        target = await runtime.execUrl({ ...request, cmd });
      } else {
        target = await runtime.attachUrl(request);
      }
    } else if (parts[0] === 'portForward' && parts.length === 3) {
      const refusal = webSocketRefusal(req, 'portforward');
      if (refusal) throw badRequest(refusal);
      const pod = this.findPod(parts[1], parts[2]);
      const sandboxes = await runtime.listSandboxes({ [LABEL_POD_UID]: pod.metadata.uid });
      const ready = sandboxes.find((s) => s.state === 'ready');
      if (!ready) throw badRequest(`pod ${parts[2]} has no running sandbox to forward ports to`);
      const ports = q
        .getAll('port')
        .map(Number)
        .filter((p) => p > 0 && p < 65536);
      target = await runtime.portForwardUrl(ready.id, ports);
    } else {
      throw notFound(`${url.pathname} does not upgrade here`);
    }
    this.o.logger.debug('stream', {
      path: url.pathname,
      runtime: target.replace(/\/[^/]*$/, '/…'),
    });
    forwardUpgrade(req, socket, head, new URL(target), {
      onConnectError: (err) =>
        refuseUpgrade(
          socket,
          500,
          status(new Error(`the runtime's streaming server: ${err.message}`)).body,
        ),
    });
  }
}

/** The bytes of a file from offset on; nothing when it does not exist (yet). */
async function readFrom(path: string, offset: number): Promise<Buffer> {
  let handle;
  try {
    handle = await fs.open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw err;
  }
  try {
    const { size } = await handle.stat();
    if (size <= offset) return Buffer.alloc(0);
    const buf = Buffer.alloc(Math.min(size - offset, 4 * 1024 * 1024));
    const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
