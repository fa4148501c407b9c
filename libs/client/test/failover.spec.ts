// Failover of the HTTP transport between masters, against real loopback servers: several API
// servers over one store (masters of one cluster), and small fake servers for the odd answers.
// A master is refused, reset (kill -9), paused (accepts, never answers) or never finishes TLS.
import { createServer as createHttpServer, Server } from 'node:http';
import { createServer as createTcpServer, Server as TcpServer, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ApiError } from '@flotilla/api';
import {
  ConfigMap,
  connect,
  ConnectionError,
  isOutcomeUnknown,
  KubeClient,
  NotSentError,
  UnreachableError,
  WatchEvent,
} from '@flotilla/client';
import { HttpTestServer, startTestApi, TestApi } from '@flotilla/testing';

/** Quick to notice in tests; the request deadline stays long so only pings can explain a move. */
const FAST = {
  rateLimit: false as const,
  component: 'failover-test',
  pingIdleMs: 100,
  pingTimeoutMs: 300,
  connectTimeoutMs: 300,
  requestTimeoutMs: 60_000,
  roundBackoffMs: 20,
  notReadyGraceMs: 2000,
};

const cm = (name: string, labels: Record<string, string> = {}): ConfigMap => ({
  metadata: { name, labels },
  data: { v: name },
});

async function until(what: string, pred: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function listen(server: Server | TcpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createTcpServer();
  const port = await listen(s);
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('failover between masters over HTTP', () => {
  let api: TestApi;
  let masters: HttpTestServer[] = [];
  const clients: KubeClient[] = [];
  const others: (Server | TcpServer)[] = [];
  /** Connections the fake TCP servers hold open (a server closes only once they are gone). */
  const accepted: Socket[] = [];

  /** Three masters over one store, each behind its own HTTP server. */
  beforeEach(async () => {
    api = await startTestApi({ bookmarkMs: 100 });
    const servers = [
      api.server,
      api.addServer({ bookmarkMs: 100 }),
      api.addServer({ bookmarkMs: 100 }),
    ];
    masters = [];
    for (const server of servers) masters.push(await HttpTestServer.start(server));
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const m of masters) await m.close();
    for (const s of accepted.splice(0)) s.destroy();
    for (const s of others.splice(0)) {
      if ('closeAllConnections' in s) s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    await api.stop();
  });

  const client = (servers: string[], options: Partial<typeof FAST> = {}) => {
    const downs: string[] = [];
    const made = connect(servers, {
      ...FAST,
      ...options,
      onEndpointDown: (endpoint, reason) => downs.push(`${endpoint} ${reason}`),
    });
    clients.push(made.client);
    return { ...made, downs };
  };

  it('sends a request that could not connect (refused) to the next master, writes included', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const { client: c, transport, downs } = client([dead, masters[1].url]);
    const created = await c.configMaps('default').create(cm('refused-first'));
    expect(created.metadata.name).toBe('refused-first');
    expect(transport.currentEndpoint()).toBe(masters[1].url);
    expect(downs).toEqual([expect.stringMatching(new RegExp(`^${dead} .*ECONNREFUSED`))]);
    // Created exactly once.
    expect(
      (await c.configMaps('default').list({ fieldSelector: 'metadata.name=refused-first' })).items,
    ).toHaveLength(1);
  });

  it('treats a TLS handshake that never completes as not sent (connect timeout) and moves on', async () => {
    const silent = createTcpServer((s: Socket) => {
      s.on('error', () => undefined);
      accepted.push(s);
    });
    others.push(silent);
    const port = await listen(silent);
    const { client: c, downs } = client([`https://127.0.0.1:${port}`, masters[0].url]);
    const created = await c.configMaps('default').create(cm('tls-stuck'));
    expect(created.metadata.uid).toBeTruthy();
    expect(downs[0]).toMatch(/connect timeout after 300 ms/);
  });

  it('names every master when none can be reached', async () => {
    const a = `http://127.0.0.1:${await closedPort()}`;
    const b = `http://127.0.0.1:${await closedPort()}`;
    const { client: c } = client([a, b]);
    const err = await c
      .configMaps('default')
      .get('x')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toContain(a);
    expect((err as Error).message).toContain(b);
    expect((err as UnreachableError).attempts.every((x) => x instanceof NotSentError)).toBe(true);
  });

  it('moves a read in flight on a paused master (no answer, not even to pings) to the next', async () => {
    const { client: c, transport, downs } = client([masters[0].url, masters[1].url]);
    await c.configMaps('default').create(cm('paused-read'));
    masters[0].pause();
    const read = await c.configMaps('default').get('paused-read');
    expect(read.data).toEqual({ v: 'paused-read' });
    expect(transport.currentEndpoint()).toBe(masters[1].url);
    expect(downs).toEqual([expect.stringMatching(/liveness ping failed: no answer within 300 ms/)]);
  });

  it('surfaces a write whose outcome is unknown instead of sending it again', async () => {
    const { client: c } = client([masters[0].url, masters[1].url]);
    await c
      .configMaps('default')
      .get('kube-root-ca.crt')
      .catch(() => undefined);
    masters[0].pause();
    const err = await c
      .configMaps('default')
      .create(cm('unknown-write'))
      .catch((e: unknown) => e);
    expect(isOutcomeUnknown(err)).toBe(true);
    expect((err as ConnectionError).endpoint).toBe(masters[0].url);
    // Not replayed on the other master (the paused one never handled it either).
    const listed = await c
      .configMaps('default')
      .list({ fieldSelector: 'metadata.name=unknown-write' });
    expect(listed.items).toEqual([]);
    // A write the caller repeats goes to the live master.
    expect((await c.configMaps('default').create(cm('unknown-write'))).metadata.uid).toBeTruthy();
  });

  it('ends a watch with an error when its master is killed; the resumable watch misses and repeats nothing', async () => {
    const { client: c } = client([masters[0].url, masters[1].url, masters[2].url]);
    const cms = c.configMaps('default');
    const start = await cms.list({ limit: 1 });
    const plain: WatchEvent<ConfigMap>[] = [];
    const watch = await cms.watch(
      { resourceVersion: start.metadata.resourceVersion, labelSelector: 'set=kill' },
      (e) => plain.push(e),
    );
    const seen: string[] = [];
    const resumes: string[] = [];
    const resumable = cms.watchResumable(
      { resourceVersion: start.metadata.resourceVersion, labelSelector: 'set=kill' },
      (e) => seen.push(`${e.type} ${e.object.metadata.name}`),
      { onResume: (rv, why) => resumes.push(`${rv} ${why}`) },
    );
    // A writer on another master, before, during and after the kill.
    const writer = connect([masters[2].url], { rateLimit: false }).client;
    clients.push(writer);
    for (let i = 0; i < 5; i++)
      await writer.configMaps('default').create(cm(`k-${i}`, { set: 'kill' }));
    await until('the first five events', () => seen.length >= 5);
    masters[0].kill();
    await expect(watch.done).rejects.toBeInstanceOf(ConnectionError);
    for (let i = 5; i < 10; i++)
      await writer.configMaps('default').create(cm(`k-${i}`, { set: 'kill' }));
    await until('all ten events', () => seen.length >= 10);
    resumable.stop();
    await resumable.done;
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => `ADDED k-${i}`));
    expect(resumes.length).toBeGreaterThanOrEqual(1);
    expect(plain.filter((e) => e.type === 'ADDED').length).toBe(5);
  });

  it('notices an idle watch on a paused master through pings and resumes it elsewhere', async () => {
    const { client: c, downs } = client([masters[0].url, masters[1].url]);
    const cms = c.configMaps('default');
    const seen: string[] = [];
    const resumable = cms.watchResumable({ labelSelector: 'set=pause' }, (e) =>
      seen.push(`${e.type} ${e.object.metadata.name}`),
    );
    await until('the watch to be open', () => resumable.resourceVersion() !== undefined);
    await new Promise((r) => setTimeout(r, 150));
    masters[0].pause();
    const writer = connect([masters[1].url], { rateLimit: false }).client;
    clients.push(writer);
    await writer.configMaps('default').create(cm('p-1', { set: 'pause' }));
    await until('the event through the next master', () => seen.length >= 1);
    resumable.stop();
    expect(seen).toEqual(['ADDED p-1']);
    expect(downs[0]).toMatch(/liveness ping failed/);
  });

  it('moves the watches of a master that stays not ready (alive, but no leader) to another', async () => {
    const {
      client: c,
      transport,
      downs,
    } = client([masters[0].url, masters[1].url], {
      notReadyGraceMs: 300,
    });
    const cms = c.configMaps('default');
    const seen: string[] = [];
    const resumable = cms.watchResumable({ labelSelector: 'set=notready' }, (e) =>
      seen.push(`${e.type} ${e.object.metadata.name}`),
    );
    await until('the watch to be open', () => resumable.resourceVersion() !== undefined);
    masters[0].setReady(false);
    await until('the master given up on', () => downs.length > 0);
    expect(downs[0]).toMatch(/not ready \(\/readyz answered 500\)/);
    expect(transport.currentEndpoint()).toBe(masters[1].url);
    await cms.create(cm('n-1', { set: 'notready' }));
    await until('the event', () => seen.length >= 1);
    resumable.stop();
    await resumable.done;
    expect(seen).toEqual(['ADDED n-1']);
    expect(resumable.resumes()).toBeGreaterThanOrEqual(1);
  });

  it('sends a read that a master answers 503 (no quorum) to another master', async () => {
    const unavailable = createHttpServer((req, res) => {
      if (req.url === '/readyz') return void res.end('ok');
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          code: 503,
          reason: 'ServiceUnavailable',
          message: 'no leader',
        }),
      );
    });
    others.push(unavailable);
    const port = await listen(unavailable);
    const { client: c } = client([`http://127.0.0.1:${port}`, masters[0].url]);
    const ns = await c.namespaces().get('default');
    expect(ns.metadata.name).toBe('default');
    // A write gets the 503 itself: the caller decides.
    const only = client([`http://127.0.0.1:${port}`]).client;
    const err = (await only
      .configMaps('default')
      .create(cm('x'))
      .catch((e: unknown) => e)) as ApiError;
    expect([err.code, err.message]).toEqual([503, 'no leader']);
  });
});

describe('429 Too Many Requests', () => {
  let server: Server;
  let url: string;
  let answers: number[];
  const retryAfter: string[] = [];

  beforeAll(async () => {
    server = createHttpServer((req, res) => {
      const status = answers.shift() ?? 200;
      retryAfter.push(String(req.headers['user-agent']));
      if (status === 429) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' });
        res.end(
          JSON.stringify({
            kind: 'Status',
            code: 429,
            reason: 'TooManyRequests',
            message: 'slow down',
            details: { retryAfterSeconds: 0 },
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'default' } }),
      );
    });
    url = `http://127.0.0.1:${await listen(server)}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('retries after Retry-After, a bounded number of times, then reports the 429', async () => {
    const waits: number[] = [];
    const c = connect([url], {
      rateLimit: false,
      maxRetries429: 2,
      sleep: async (ms) => void waits.push(ms),
    }).client;
    try {
      answers = [429, 429, 200];
      expect((await c.namespaces().get('default')).metadata.name).toBe('default');
      expect(waits).toEqual([0, 0]);
      answers = [429, 429, 429, 200];
      const err = (await c
        .namespaces()
        .get('default')
        .catch((e: unknown) => e)) as ApiError;
      expect([err.code, err.reason]).toEqual([429, 'TooManyRequests']);
      expect(answers).toEqual([200]);
      expect(retryAfter[0]).toMatch(/^flotilla-client\/v\d+\.\d+\.\d+ \(/);
    } finally {
      c.close();
    }
  });
});
