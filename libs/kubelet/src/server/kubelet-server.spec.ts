import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeNode } from '../testing/fake-node';
import { container, pod } from '../testing/fixtures';
import { KubeletServer } from './kubelet-server';

let node: FakeNode;
let server: KubeletServer;
let base: string;

beforeEach(async () => {
  node = new FakeNode();
  node.runtime.setBehaviour((config) =>
    config.metadata.name === 'app' ? { logLines: ['hello', 'world'] } : {},
  );
  await node.start();
  server = new KubeletServer({
    host: '127.0.0.1',
    port: 0,
    pods: () => node.kubelet.pods(),
    runtime: node.runtime,
    layout: { podLogRoot: join(node.rootDir, 'logs') },
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    logPollMs: 5,
    now: () => node.clock.now(),
  });
  base = `http://127.0.0.1:${await server.start()}`;
});

afterEach(async () => {
  await server.close();
  node.cleanup();
});

async function get(path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, text: await res.text() };
}

async function running(): Promise<void> {
  node.kubelet.setPods([pod()]);
  await node.advance(0);
}

describe('the kubelet server', () => {
  it('answers /healthz and lists its pods with their status on /pods', async () => {
    await running();
    expect(await get('/healthz')).toEqual({ status: 200, text: 'ok' });
    const list = JSON.parse((await get('/pods')).text);
    expect(list.kind).toBe('PodList');
    expect(list.items.map((p: { status: { phase: string } }) => p.status.phase)).toEqual([
      'Running',
    ]);
  });

  it('serves the container metrics from the runtime on /metrics/resource and /metrics/cadvisor', async () => {
    node.kubelet.setPods([pod({ containers: [container('app'), container('sidecar')] })]);
    await node.advance(0);
    const [app, sidecar] = ['app', 'sidecar'].map((n) =>
      node.runtime.allContainers().find((c) => c.metadata.name === n)!,
    );
    node.runtime.setUsage(app.id, { cpuCoreNanoSeconds: 2_500_000_000, memoryBytes: 4096 });
    node.runtime.setUsage(sidecar.id, { cpuCoreNanoSeconds: 500_000_000, memoryBytes: 1024 });
    const t = node.clock.now();
    const res = await fetch(`${base}/metrics/resource`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toContain(
      `container_cpu_usage_seconds_total{container="app",namespace="default",pod="web"} 2.5 ${t}\n`,
    );
    expect(text).toContain(
      `container_memory_working_set_bytes{container="sidecar",namespace="default",pod="web"} 1024 ${t}\n`,
    );
    expect(text).toContain(`pod_cpu_usage_seconds_total{namespace="default",pod="web"} 3 ${t}\n`);
    expect(text).toContain(`node_memory_working_set_bytes 5120 ${t}\n`);
    expect(text).toContain('scrape_error 0\n');
    const cadvisor = (await get('/metrics/cadvisor')).text;
    expect(cadvisor).toContain(
      `container_memory_working_set_bytes{container="app",id="${app.id}",image="flotilla/demo-web:1",name="${app.id}",namespace="default",pod="web"} 4096 ${t}\n`,
    );
  });

  it('says scrape_error 1 on /metrics/resource when the runtime is down, and 500 on /metrics/cadvisor', async () => {
    await running();
    node.runtime.setDown('containerd stopped');
    const resource = await get('/metrics/resource');
    expect(resource.status).toBe(200);
    expect(resource.text).toMatch(/\nscrape_error 1\n$/);
    const cadvisor = await get('/metrics/cadvisor');
    expect(cadvisor.status).toBe(500);
    expect(JSON.parse(cadvisor.text)).toMatchObject({ kind: 'Status', code: 500 });
  });

  it('serves a container log: all of it, its tail, with timestamps', async () => {
    await running();
    const all = await get('/containerLogs/default/web/app');
    expect(all.status).toBe(200);
    expect(all.text).toBe('hollow container app started\nhello\nworld\n');
    expect((await get('/containerLogs/default/web/app?tailLines=1')).text).toBe('world\n');
    expect((await get('/containerLogs/default/web/app?tailLines=1&timestamps=true')).text).toBe(
      '2030-01-01T00:00:00.000000000Z world\n',
    );
  });

  it('serves the previous instance after a restart', async () => {
    await running();
    const first = node.runtime.allContainers()[0];
    node.runtime.crash(first.id, 3);
    await node.kubelet.relistNow();
    await node.advance(11_000);
    expect(node.runtime.allContainers().filter((c) => c.state === 'running')).toHaveLength(1);
    const previous = await get('/containerLogs/default/web/app?previous=true');
    expect(previous.text).toMatch(/world\nhollow container app exited with code 3\n$/);
    expect((await get('/containerLogs/default/web/app')).text).not.toMatch(/exited/);
  });

  it('follows a log until the container ends', async () => {
    await running();
    const res = await fetch(`${base}/containerLogs/default/web/app?follow=true&tailLines=0`);
    const reader = res.body!.getReader();
    node.runtime.crash(node.runtime.allContainers()[0].id, 1);
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    expect(text).toBe('hollow container app exited with code 1\n');
  });

  it('answers bad requests with a Status that says what is wrong', async () => {
    await running();
    const missing = await get('/containerLogs/default/nope/app');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: 'pod "nope" in namespace "default" is not on this node',
    });
    const wrong = await get('/containerLogs/default/web/db');
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.text).message).toBe(
      'container db is not valid for pod web; choose one of: [app]',
    );
    expect(JSON.parse((await get('/containerLogs/default/web/app?previous=1')).text).message).toBe(
      'previous terminated container "app" in pod "web" not found',
    );
    expect((await get('/containerLogs/default/web/app?tailLines=-1')).status).toBe(400);
    expect(await get('/healthz')).toEqual({ status: 200, text: 'ok' });
  });
});

/** Sends a raw upgrade request and reads until the header block (and what follows in time). */
function rawUpgrade(
  port: number,
  head: string[],
  send?: string,
): Promise<{ socket: Socket; first: () => Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`${head.join('\r\n')}\r\n\r\n${send ?? ''}`);
      let buffered = '';
      let waiter: ((s: string) => void) | undefined;
      socket.on('data', (d) => {
        buffered += d.toString();
        if (waiter && buffered.includes('\r\n\r\n')) waiter(buffered);
      });
      resolve({
        socket,
        first: () =>
          new Promise((r) => {
            if (buffered.includes('\r\n\r\n')) r(buffered);
            else waiter = r;
          }),
      });
    });
    socket.on('error', reject);
  });
}

describe('exec, attach and port-forward', () => {
  let streaming: Server;
  let seen: IncomingMessage | undefined;
  const sockets = new Set<Socket>();

  beforeEach(async () => {
    seen = undefined;
    // A stand-in for containerd's streaming server: upgrades, then echoes in upper case.
    streaming = createServer();
    streaming.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      seen = req;
      sockets.add(socket);
      socket.on('end', () => socket.end());
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n',
      );
      if (head.length) socket.write(head.toString().toUpperCase());
      socket.on('data', (d) => socket.write(d.toString().toUpperCase()));
    });
    await new Promise<void>((r) => streaming.listen(0, '127.0.0.1', r));
    const port = (streaming.address() as AddressInfo).port;
    node.runtime.execUrl = async (req) =>
      `http://127.0.0.1:${port}/exec/token-${req.cmd!.join('_')}-${req.stdin}`;
    node.runtime.portForwardUrl = async (sandboxId) =>
      `http://127.0.0.1:${port}/portforward/${sandboxId}`;
  });

  afterEach(async () => {
    for (const s of sockets) s.destroy();
    streaming.closeAllConnections();
    await new Promise((r) => streaming.close(r));
  });

  it('hands a SPDY exec upgrade to the runtime streaming server and joins the streams', async () => {
    await running();
    const { socket, first } = await rawUpgrade(server.port, [
      'POST /exec/default/web/app?command=cat&command=%2Fetc%2Fresolv.conf&stdin=true&stdout=true HTTP/1.1',
      'Host: node',
      'Connection: Upgrade',
      'Upgrade: SPDY/3.1',
      'X-Stream-Protocol-Version: v4.channel.k8s.io',
      'Content-Length: 0',
    ]);
    const answer = await first();
    expect(answer).toMatch(/^HTTP\/1.1 101 /);
    expect(seen!.url).toBe('/exec/token-cat_/etc/resolv.conf-true');
    expect(seen!.headers['x-stream-protocol-version']).toBe('v4.channel.k8s.io');
    const echoed = new Promise<string>((r) => socket.once('data', (d) => r(d.toString())));
    socket.write('ping');
    expect(await echoed).toBe('PING');
    socket.destroy();
  });

  it('hands port-forward to the pod sandbox streaming URL', async () => {
    await running();
    const { socket, first } = await rawUpgrade(server.port, [
      'POST /portForward/default/web HTTP/1.1',
      'Host: node',
      'Connection: Upgrade',
      'Upgrade: SPDY/3.1',
      'X-Stream-Protocol-Version: portforward.k8s.io',
    ]);
    expect(await first()).toMatch(/^HTTP\/1.1 101 /);
    expect(seen!.url).toBe(`/portforward/${node.runtime.allSandboxes()[0].id}`);
    socket.destroy();
  });

  it('refuses WebSocket protocols the runtime lacks with 400, so kubectl falls back to SPDY', async () => {
    await running();
    const { socket, first } = await rawUpgrade(server.port, [
      'GET /exec/default/web/app?command=ls&stdout=true HTTP/1.1',
      'Host: node',
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Protocol: v5.channel.k8s.io',
    ]);
    const answer = await first();
    expect(answer).toMatch(/^HTTP\/1.1 400 /);
    expect(answer).toContain('does not speak v5.channel.k8s.io over WebSocket');
    expect(seen).toBeUndefined();
    socket.destroy();
  });

  it('answers an exec into a pod it does not run with 404, and one without a command with 400', async () => {
    await running();
    const upgrade = async (path: string) =>
      (
        await rawUpgrade(server.port, [
          `POST ${path} HTTP/1.1`,
          'Host: node',
          'Connection: Upgrade',
          'Upgrade: SPDY/3.1',
        ])
      ).first();
    expect(await upgrade('/exec/default/other/app?command=ls')).toMatch(/^HTTP\/1.1 404 /);
    expect(await upgrade('/exec/default/web/app')).toContain(
      'you must specify at least one command for the container',
    );
  });
});

describe('over HTTPS', () => {
  it('serves with the node serving pair', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubelet-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'],
          ...['-nodes', '-days', '1', '-subj', '/CN=w1', '-addext', 'subjectAltName=IP:127.0.0.1'],
          ...['-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')],
        ],
        { stdio: 'ignore' },
      );
      const cert = readFileSync(join(dir, 'c.pem'));
      const tls = new KubeletServer({
        host: '127.0.0.1',
        port: 0,
        tls: { cert, key: readFileSync(join(dir, 'k.pem')) },
        pods: () => [],
        runtime: node.runtime,
        layout: { podLogRoot: dir },
        logger: { debug() {}, info() {}, warn() {}, error() {} },
      });
      const port = await tls.start();
      expect(tls.scheme).toBe('https');
      const body = await new Promise<string>((resolve, reject) => {
        httpsRequest({ host: '127.0.0.1', port, path: '/healthz', ca: cert }, (res) => {
          let t = '';
          res.on('data', (d) => (t += d));
          res.on('end', () => resolve(t));
        })
          .on('error', reject)
          .end();
      });
      expect(body).toBe('ok');
      // Plain HTTP gets no answer from a TLS port.
      await expect(
        new Promise((resolve, reject) =>
          httpRequest({ host: '127.0.0.1', port, path: '/healthz' }, resolve)
            .on('error', reject)
            .end(),
        ),
      ).rejects.toThrow();
      await tls.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
