// pods/log, exec and portforward through the API server to a kubelet server: the real kubectl
// against an API server on loopback, whose node w1 has a kubelet server over the fake runtime
// (logs from its records) and whose node w2 speaks HTTPS. The kubelet's streaming upgrade goes to
// a stand-in for containerd's streaming server, so the whole proxy chain is checked byte for byte.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpTestServer, startTestApi, type TestApi } from '@flotilla/testing';
import { findResource, type KubeObject } from '@flotilla/api';
import { KubeletServer, type Pod } from '@flotilla/kubelet';
import { FakeNode } from '../../libs/kubelet/src/testing/fake-node';
import { runTool } from './support/run-tool';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let api: TestApi;
let http: HttpTestServer;
let dir: string;
let kubeconfig: string;
const nodes: { node: FakeNode; server: KubeletServer }[] = [];
let streaming: Server;
let streamed: IncomingMessage | undefined;
const streamSockets = new Set<Socket>();

const read = (file: string) => readFileSync(join(dir, file));
let w2Port = 0;

const kubectl = (args: string[]) =>
  runTool('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig } });

async function startKubelet(
  name: string,
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer },
): Promise<FakeNode> {
  const node = new FakeNode();
  node.runtime.setBehaviour(() => ({ logLines: ['one', 'two', 'three'] }));
  const port = (streaming.address() as AddressInfo).port;
  node.runtime.execUrl = async (req) => `http://127.0.0.1:${port}/exec/${req.cmd!.join('+')}`;
  node.runtime.portForwardUrl = async (id) => `http://127.0.0.1:${port}/portforward/${id}`;
  await node.start();
  const server = new KubeletServer({
    host: '127.0.0.1',
    port: 0,
    tls,
    pods: () => node.kubelet.pods(),
    runtime: node.runtime,
    layout: { podLogRoot: join(node.rootDir, 'logs') },
    logger: quiet,
    logPollMs: 5,
  });
  const kubeletPort = await server.start();
  if (tls) w2Port = kubeletPort;
  nodes.push({ node, server });
  await api.client.resource(findResource('', 'v1', 'nodes')!).create({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: {
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } },
    },
  });
  return node;
}

async function runPod(node: FakeNode, name: string, nodeName: string | undefined): Promise<Pod> {
  const created = (await api.client.resource(findResource('', 'v1', 'pods')!, 'default').create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [{ name: 'app', image: 'flotilla/demo-web' }],
    },
  } as KubeObject)) as unknown as Pod;
  node.kubelet.setPods([...node.kubelet.pods(), created]);
  await node.advance(0);
  return created;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pod-streams-'));
  streaming = createServer();
  streaming.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    streamed = req;
    streamSockets.add(socket);
    socket.on('end', () => socket.end());
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n',
    );
    socket.on('data', (d) => socket.write(`echo:${d}`));
  });
  await new Promise<void>((r) => streaming.listen(0, '127.0.0.1', r));
  // A cluster CA, w2's serving pair, and the API server's client pair (group system:masters).
  const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl([
    'req',
    '-x509',
    ...ec,
    '-days',
    '1',
    '-subj',
    '/CN=ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  ]);
  const signed = (name: string, subject: string) => {
    ssl(['req', ...ec, '-subj', subject, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    ssl([
      ...['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key'],
      ...['-CAcreateserial', '-days', '1', '-out', `${name}.crt`],
    ]);
  };
  signed('apiserver', '/O=system:masters/CN=system:apiserver');
  signed('node', '/O=system:nodes/CN=system:node:w1');
  ssl([
    'req',
    '-x509',
    ...ec,
    '-days',
    '1',
    '-subj',
    '/CN=w2',
    '-keyout',
    'k.pem',
    '-out',
    'c.pem',
  ]);
  // The API server reaches kubelets with its client pair (w2 asks for one).
  api = await startTestApi({
    kubelets: { tls: { cert: read('apiserver.crt'), key: read('apiserver.key') } },
  });
  const w1 = await startKubelet('w1');
  http = await HttpTestServer.start(api.server);
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: t, cluster: {server: "${http.url}"}}]`,
      'users: [{name: u, user: {}}]',
      'contexts: [{name: t, context: {cluster: t, user: u}}]',
      'current-context: t',
    ].join('\n'),
  );
  w2Port = 0;
  const w2 = await startKubelet('w2', {
    cert: read('c.pem'),
    key: read('k.pem'),
    clientCa: read('ca.crt'),
  });
  await runPod(w1, 'web', 'w1');
  await runPod(w2, 'secure', 'w2');
  await runPod(w1, 'pending', undefined);
}, 60_000);

afterAll(async () => {
  for (const s of streamSockets) s.destroy();
  streaming?.closeAllConnections();
  await new Promise((r) => streaming?.close(r));
  for (const { node, server } of nodes) {
    await server.close();
    node.cleanup();
  }
  await http?.close();
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the kubelet API behind its client CA', () => {
  function get(path: string, client?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      httpsRequest(
        {
          host: '127.0.0.1',
          port: w2Port,
          path,
          rejectUnauthorized: false,
          ...(client ? { cert: read(`${client}.crt`), key: read(`${client}.key`) } : {}),
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
        .on('error', reject)
        .end();
    });
  }

  it('lets only the API server identity in, on /healthz too', async () => {
    expect(await get('/healthz')).toBe(401);
    expect(await get('/healthz', 'node')).toBe(403);
    expect(await get('/healthz', 'apiserver')).toBe(200);
    expect(await get('/pods')).toBe(401);
    expect(await get('/pods', 'node')).toBe(403);
    expect(await get('/pods', 'apiserver')).toBe(200);
  });
});

describe('kubectl logs through the API server', () => {
  it('reads a pod log from its node kubelet, over HTTP and over HTTPS', async () => {
    const logs = await kubectl(['logs', 'web']);
    expect(logs.stderr).toBe('');
    expect(logs.stdout).toBe('hollow container app started\none\ntwo\nthree\n');
    expect((await kubectl(['logs', 'secure', '--tail', '2'])).stdout).toBe('two\nthree\n');
    expect(
      (await kubectl(['logs', 'web', '-c', 'app', '--tail', '1', '--timestamps'])).stdout,
    ).toMatch(/^2030-01-01T00:00:00\.000000000Z three\n$/);
  });

  it('follows until the container stops', async () => {
    // Whether kubectl connects before or after the exit, the stream must end with it.
    const follow = kubectl(['logs', '-f', 'web', '--tail', '1']);
    await new Promise((r) => setTimeout(r, 200));
    const w1 = nodes[0].node;
    const id = w1.runtime.allContainers().find((c) => c.state === 'running')!.id;
    w1.runtime.crash(id, 2);
    const out = await follow;
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^(three\n)?hollow container app exited with code 2\n$/);
    await w1.kubelet.relistNow();
    await w1.advance(11_000);
  });

  it('says why when there is nothing to read', async () => {
    const pending = await kubectl(['logs', 'pending']);
    expect(pending.code).not.toBe(0);
    expect(pending.stderr).toContain('pod pending does not have a host assigned');
    const wrong = await kubectl(['logs', 'web', '-c', 'db']);
    expect(wrong.stderr).toContain('container db is not valid for pod web');
    const none = await kubectl(['logs', 'secure', '--previous']);
    expect(none.stderr).toContain('previous terminated container "app" in pod "secure" not found');
  });

  it('answers 503 with the node and address when the kubelet cannot be reached', async () => {
    await api.client.resource(findResource('', 'v1', 'nodes')!).create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'gone' },
      status: {
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: 1 } },
      },
    });
    await runPod(nodes[0].node, 'orphan', 'gone');
    const res = await fetch(`${http.url}/api/v1/namespaces/default/pods/orphan/log`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { message: string }).message).toMatch(
      /^the kubelet of node gone at 127\.0\.0\.1:1 cannot be reached: .*ECONNREFUSED/,
    );
  });
});

/** A raw upgrade request to the API server; resolves with the socket and the answer's head. */
function upgrade(path: string, headers: string[]): Promise<{ socket: Socket; head: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(http.url);
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(
        [
          `POST ${path} HTTP/1.1`,
          `Host: ${url.host}`,
          'Connection: Upgrade',
          ...headers,
          '',
          '',
        ].join('\r\n'),
      );
    });
    let text = '';
    socket.on('data', function first(d) {
      text += d.toString();
      if (text.includes('\r\n\r\n')) {
        socket.off('data', first);
        resolve({ socket, head: text });
      }
    });
    socket.on('error', reject);
  });
}

describe('exec and port-forward through the API server', () => {
  it('joins a SPDY exec to the runtime streaming server through the kubelet', async () => {
    const { socket, head } = await upgrade(
      '/api/v1/namespaces/default/pods/web/exec?command=cat&command=%2Fetc%2Fresolv.conf&container=app&stdout=true',
      ['Upgrade: SPDY/3.1', 'X-Stream-Protocol-Version: v4.channel.k8s.io'],
    );
    expect(head).toMatch(/^HTTP\/1.1 101 /);
    expect(streamed!.url).toBe('/exec/cat+/etc/resolv.conf');
    const echo = new Promise<string>((r) => socket.once('data', (d) => r(d.toString())));
    socket.write('frame');
    expect(await echo).toBe('echo:frame');
    socket.destroy();
  });

  it('reaches an HTTPS kubelet for port-forward', async () => {
    const { socket, head } = await upgrade('/api/v1/namespaces/default/pods/secure/portforward', [
      'Upgrade: SPDY/3.1',
      'X-Stream-Protocol-Version: portforward.k8s.io',
    ]);
    expect(head).toMatch(/^HTTP\/1.1 101 /);
    expect(streamed!.url).toMatch(/^\/portforward\/sb/);
    socket.destroy();
  });

  it('passes on the kubelet refusal of a v5 WebSocket, so kubectl falls back to SPDY', async () => {
    const { socket, head } = await upgrade(
      '/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true',
      [
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Protocol: v5.channel.k8s.io',
      ],
    );
    expect(head).toMatch(/^HTTP\/1.1 400 /);
    socket.destroy();
  });

  it('refuses a stream of an unscheduled pod, and one without an upgrade', async () => {
    const { socket, head } = await upgrade(
      '/api/v1/namespaces/default/pods/pending/exec?command=ls',
      ['Upgrade: SPDY/3.1'],
    );
    expect(head).toMatch(/^HTTP\/1.1 400 /);
    expect(head).toContain('pod pending does not have a host assigned');
    socket.destroy();
    const plain = await fetch(`${http.url}/api/v1/namespaces/default/pods/web/exec?command=ls`, {
      method: 'POST',
    });
    expect(plain.status).toBe(400);
    expect(((await plain.json()) as { message: string }).message).toBe('Upgrade request required');
  });
});
