// pods/log, exec, attach and portforward through the API server to a kubelet server: the real
// kubectl against an API server on loopback, whose node w1 has a kubelet server over the fake
// runtime (logs from its records) and whose node w2 speaks HTTPS. The kubelet's streaming upgrade
// goes to a stand-in for containerd's streaming server that speaks SPDY/3.1 for real, so kubectl
// 1.32's WebSocket (v5 exec/attach, SPDY tunnelled in WebSocket for port-forward) is checked
// through the API server's translation, and its SPDY fallback straight through.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpTestServer, startTestApi, type TestApi } from '@flotilla/testing';
import { findResource, type KubeObject } from '@flotilla/api';
import { KubeletServer, type Pod } from '@flotilla/kubelet';
import { FakeNode } from '../../libs/kubelet/src/testing/fake-node';
import { StandInStreamingServer } from '../../libs/apiserver/src/proxy/spdy/testing/stand-in-streaming-server';
import { runTool } from './support/run-tool';
import { writeKubeconfig } from './support/kubeconfig-file';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let api: TestApi;
let http: HttpTestServer;
let dir: string;
let kubeconfig: string;
const nodes: { node: FakeNode; server: KubeletServer }[] = [];
let streaming: StandInStreamingServer;
let streamingPort = 0;
/** What port-forward reaches inside the "pod". */
let podWeb: Server;

const read = (file: string) => readFileSync(join(dir, file));
let w2Port = 0;

const kubectl = (args: string[], input?: string, env: NodeJS.ProcessEnv = {}) =>
  runTool('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig, ...env }, input });

async function startKubelet(
  name: string,
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer },
): Promise<FakeNode> {
  const node = new FakeNode();
  node.runtime.setBehaviour(() => ({ logLines: ['one', 'two', 'three'] }));
  const port = streamingPort;
  const flags = (req: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }) =>
    (['stdin', 'stdout', 'stderr', 'tty'] as const).map((f) => `${f}=${req[f]}`).join('&');
  node.runtime.execUrl = async (req) =>
    `http://127.0.0.1:${port}/exec?${req.cmd!.map((c) => `cmd=${encodeURIComponent(c)}`).join('&')}&${flags(req)}`;
  node.runtime.attachUrl = async (req) => `http://127.0.0.1:${port}/attach?${flags(req)}`;
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
  podWeb = createServer((_req, res) => res.end('hello from the pod\n'));
  await new Promise<void>((r) => podWeb.listen(0, '127.0.0.1', r));
  const podWebPort = (podWeb.address() as AddressInfo).port;
  streaming = new StandInStreamingServer({
    portForward: () => ({ host: '127.0.0.1', port: podWebPort }),
  });
  streamingPort = await streaming.start();
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
  kubeconfig = writeKubeconfig(join(dir, 'kubeconfig'), http.url);
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
  await streaming?.close();
  podWeb?.closeAllConnections();
  await new Promise((r) => podWeb?.close(r));
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

/** The last stream the API server proxied: how it went (via) and what the client asked for. */
const lastStream = () => http.podStreams.at(-1) ?? {};
const noWebSockets = {
  KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false',
  KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false',
};

describe('kubectl exec and attach through the API server', () => {
  it('execs over WebSocket v5, which the API server speaks to the kubelet as SPDY', async () => {
    const out = await kubectl(['exec', 'web', '--', 'echo', 'hello', 'there']);
    expect(out).toMatchObject({ code: 0, stdout: 'hello there\n' });
    expect(lastStream()).toMatchObject({
      subresource: 'exec',
      via: 'websocket-v5-to-spdy',
      upgrade: 'websocket',
      protocol: 'v5.channel.k8s.io',
    });
    expect(streaming.seen.at(-1)).toMatchObject({
      upgrade: 'SPDY/3.1',
      protocols: 'v4.channel.k8s.io',
    });
  });

  it('passes stdin to its end (the v5 close signal) and the exit code back', async () => {
    const cat = await kubectl(['exec', '-i', 'web', '--', 'cat'], 'through stdin\n');
    expect(cat).toMatchObject({ code: 0, stdout: 'through stdin\n' });
    expect(lastStream().via).toBe('websocket-v5-to-spdy');
    const failed = await kubectl(['exec', 'web', '--', 'fail', '3', 'oops']);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('oops');
    const missing = await kubectl(['exec', 'web', '--', 'nope']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('"nope": executable file not found');
  });

  it('reaches an HTTPS kubelet the same way', async () => {
    expect(await kubectl(['exec', 'secure', '--', 'echo', 'secure'])).toMatchObject({
      code: 0,
      stdout: 'secure\n',
    });
    expect(lastStream()).toMatchObject({ node: 'w2', via: 'websocket-v5-to-spdy' });
  });

  it('attaches to the container over WebSocket v5', async () => {
    const out = await kubectl(['attach', '-i', 'web', '-c', 'app'], 'typed into the pod\n');
    expect(out.code).toBe(0);
    expect(out.stdout).toBe('typed into the pod\n');
    expect(lastStream()).toMatchObject({ subresource: 'attach', via: 'websocket-v5-to-spdy' });
    expect(streaming.seen.at(-1)!.path).toMatch(/^\/attach\?stdin=true&stdout=true/);
  });

  it('reports what the kubelet refuses as the error kubectl prints', async () => {
    const w2 = nodes[1].node;
    const id = w2.runtime.allContainers().find((c) => c.state === 'running')!.id;
    w2.runtime.crash(id, 1);
    const out = await kubectl(['exec', 'secure', '--', 'echo', 'x']);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('container app in pod secure is not running');
    expect(lastStream()).toMatchObject({ node: 'w2', via: 'websocket-v5-to-spdy' });
  });

  it('still joins a SPDY client to the runtime byte for byte', async () => {
    const out = await kubectl(['exec', '-i', 'web', '--', 'cat'], 'over spdy\n', noWebSockets);
    expect(out).toMatchObject({ code: 0, stdout: 'over spdy\n' });
    expect(lastStream()).toMatchObject({ via: 'passthrough', upgrade: 'SPDY/3.1' });
    const failed = await kubectl(['exec', 'web', '--', 'fail', '4'], undefined, noWebSockets);
    expect(failed.code).toBe(4);
  });
});

describe('kubectl port-forward through the API server', () => {
  beforeAll(async () => {
    // kubectl forwards only to a Running pod; the fake node here posts no status.
    const res = await fetch(`${http.url}/api/v1/namespaces/default/pods/web/status`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ status: { phase: 'Running' } }),
    });
    expect(res.status).toBe(200);
  });

  async function forward(env: NodeJS.ProcessEnv = {}): Promise<string> {
    const child = spawn('kubectl', ['port-forward', 'pod/web', ':8080', '--address', '127.0.0.1'], {
      env: { ...process.env, KUBECONFIG: kubeconfig, ...env },
    });
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const port = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no forwarding after 20 s: ${out}`)),
          20_000,
        );
        child.on('exit', (code) => reject(new Error(`kubectl exited (${code}): ${out}`)));
        child.stdout.on('data', () => {
          const m = /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
      });
      const answers: string[] = [];
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/`, {
          signal: AbortSignal.timeout(10_000),
        });
        answers.push(await res.text());
      }
      return answers.join('');
    } finally {
      child.kill('SIGTERM');
    }
  }

  it('tunnels SPDY in WebSocket: the API server unwraps it toward the kubelet', async () => {
    expect(await forward()).toBe('hello from the pod\n'.repeat(2));
    expect(lastStream()).toMatchObject({
      subresource: 'portforward',
      via: 'spdy-tunnel',
      protocol: 'SPDY/3.1+portforward.k8s.io',
    });
    expect(streaming.seen.at(-1)).toMatchObject({
      upgrade: 'SPDY/3.1',
      protocols: 'portforward.k8s.io',
    });
  });

  it('still forwards for a SPDY client', async () => {
    expect(await forward(noWebSockets)).toBe('hello from the pod\n'.repeat(2));
    expect(lastStream()).toMatchObject({ via: 'passthrough', upgrade: 'SPDY/3.1' });
  });
});

/** A raw upgrade request to the API server; resolves with the socket and the answer's head. */
function upgrade(path: string, headers: string[]): Promise<{ socket: Socket; head: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(http.url);
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(
        [
          `GET ${path} HTTP/1.1`,
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

describe('upgrades the API server does not take', () => {
  it('passes on the refusal of a WebSocket protocol nobody speaks', async () => {
    const { socket, head } = await upgrade(
      '/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true',
      [
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Protocol: v6.channel.k8s.io',
      ],
    );
    expect(head).toMatch(/^HTTP\/1.1 400 /);
    expect(lastStream().via).toBe('passthrough');
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
