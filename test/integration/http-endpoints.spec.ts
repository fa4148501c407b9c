import { freePortBlock } from './support/ports';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEALTHY, HealthRegistry, memorySink, unhealthy } from '@flotilla/observability';
import type { StartedProcess } from '@flotilla/process/nest';
import { startControlPlane } from '../../apps/control-plane/src/start-control-plane';
import { startNodeAgent } from '../../apps/node-agent/src/start-node-agent';
import { getText, waitFor } from './support/wait';
import { RawEtcdClient } from '../../libs/etcd-api/test/raw-client';

describe('health and metrics endpoints, booted in-process', () => {
  let dataRoot: string;
  let master: StartedProcess;
  let worker: StartedProcess;
  let logs: ReturnType<typeof memorySink>;
  let leaderKnown = true;
  let etcdPort = 0;
  const masterUrl = (path: string) => `http://127.0.0.1:${master.port}${path}`;

  beforeAll(async () => {
    dataRoot = mkdtempSync(join(tmpdir(), 'flotilla-http-'));
    logs = memorySink();
    const health = new HealthRegistry();
    // Stands in for raft's future readiness check: the test flips it. Registered before the
    // module adds "ping", so it is listed first: checks appear in registration order.
    health.register({
      name: 'leader-known',
      check: () => (leaderKnown ? HEALTHY : unhealthy('no leader elected yet')),
      endpoints: ['readyz'],
    });
    const base = await freePortBlock([0, 1]);
    etcdPort = base;
    const peerPort = base + 1;
    master = await startControlPlane(
      {
        name: 'm1',
        dataDir: join(dataRoot, 'm1'),
        listenHost: '127.0.0.1',
        advertiseHost: '127.0.0.1',
        apiPort: 0,
        etcdPort: etcdPort,
        peerPort: peerPort,
        peers: [{ name: 'm1', host: '127.0.0.1', port: peerPort }],
        clusterToken: 'test',
        logLevel: 'info',
        tickMs: 50,
        electionTicks: 10,
        snapshotEvery: 10000,
        initialClusterState: 'new',
      },
      { logSink: logs, health },
    );
    // A single-member cluster elects itself within an election timeout.
    await waitFor('the master to be ready', async () =>
      (await getText(masterUrl('/readyz'))).status === 200 ? true : undefined,
    );
    worker = await startNodeAgent(
      {
        name: 'w1',
        dataDir: join(dataRoot, 'w1'),
        listenHost: '127.0.0.1',
        apiPort: 0,
        servers: [],
        logLevel: 'info',
      },
      { logSink: memorySink() },
    );
  });

  afterAll(async () => {
    await master?.app.close();
    await worker?.app.close();
    rmSync(dataRoot, { recursive: true, force: true });
  });

  beforeEach(() => {
    leaderKnown = true;
  });

  it.each(['/healthz', '/livez', '/readyz'])('%s answers 200 "ok" as plain text', async (path) => {
    const response = await getText(masterUrl(path));
    expect(response).toEqual({ status: 200, body: 'ok', contentType: 'text/plain; charset=utf-8' });
  });

  it('lists the checks of /readyz?verbose', async () => {
    expect(await getText(masterUrl('/readyz?verbose'))).toMatchObject({
      status: 200,
      body: '[+]leader-known ok\n[+]ping ok\n[+]raft-loop ok\n[+]raft-leader ok\n[+]raft-caught-up ok\n[+]linearizable-read ok\n[+]crd-informer-synced ok\nreadyz check passed\n',
    });
  });

  it('keeps a readiness-only check out of /livez', async () => {
    leaderKnown = false;
    expect(await getText(masterUrl('/livez?verbose'))).toMatchObject({
      status: 200,
      body: '[+]ping ok\n[+]raft-loop ok\nlivez check passed\n',
    });
  });

  it('fails /readyz and /healthz with 500 while a check fails, and ?exclude skips it', async () => {
    leaderKnown = false;
    const failed =
      '[-]leader-known failed: no leader elected yet\n[+]ping ok\n[+]raft-loop ok\n[+]raft-leader ok\n[+]raft-caught-up ok\n[+]linearizable-read ok\n[+]crd-informer-synced ok\n';
    expect(await getText(masterUrl('/readyz'))).toMatchObject({
      status: 500,
      body: `${failed}readyz check failed\n`,
    });
    expect((await getText(masterUrl('/healthz'))).status).toBe(500);
    expect(await getText(masterUrl('/readyz?verbose&exclude=leader-known'))).toMatchObject({
      status: 200,
      body: '[+]leader-known excluded: ok\n[+]ping ok\n[+]raft-loop ok\n[+]raft-leader ok\n[+]raft-caught-up ok\n[+]linearizable-read ok\n[+]crd-informer-synced ok\nreadyz check passed\n',
    });
    expect(await getText(masterUrl('/readyz/leader-known'))).toMatchObject({ status: 500 });
    expect(await getText(masterUrl('/readyz/ping'))).toMatchObject({ status: 200, body: 'ok' });
  });

  it('serves Prometheus text with the build-info gauge and default metrics', async () => {
    const response = await getText(masterUrl('/metrics'));
    expect(response.status).toBe(200);
    expect(response.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.body).toMatch(
      /^flotilla_build_info\{version="[^"]+",node="m1",component="control-plane",git_commit="[0-9a-f]{40}"\} 1$/m,
    );
    expect(response.body).toContain('process_resident_memory_bytes');
    expect(response.body).toContain('nodejs_heap_size_used_bytes');
  });

  it('counts the calls of the etcd port as etcd does (grpc_server_*), by method and code', async () => {
    const etcd = new RawEtcdClient(`127.0.0.1:${etcdPort}`);
    try {
      for (let i = 0; i < 3; i++) {
        const put = await etcd.call('KV', 'Put', {
          key: Buffer.from(`/m/${i}`),
          value: Buffer.from('v'),
        });
        expect(put.error).toBeUndefined();
      }
      const future = await etcd.call('KV', 'Range', { key: Buffer.from('/m/0'), revision: 1e9 });
      expect(future.error?.code).toBe(11);
    } finally {
      etcd.close();
    }
    const body = (await getText(masterUrl('/metrics'))).body;
    const kv = 'grpc_type="unary",grpc_service="etcdserverpb.KV"';
    expect(body).toContain(`grpc_server_started_total{${kv},grpc_method="Put"} 3`);
    expect(body).toContain(`grpc_server_handled_total{${kv},grpc_method="Put",grpc_code="OK"} 3`);
    expect(body).toContain(`grpc_server_msg_received_total{${kv},grpc_method="Put"} 3`);
    expect(body).toContain(`grpc_server_msg_sent_total{${kv},grpc_method="Put"} 3`);
    expect(body).toContain(
      `grpc_server_handled_total{${kv},grpc_method="Range",grpc_code="OutOfRange"} 1`,
    );
  });

  it("writes Nest's own logs as JSON lines carrying the node name", () => {
    const records = logs.lines.map((line) => JSON.parse(line));
    expect(records).toContainEqual(
      expect.objectContaining({
        node: 'm1',
        component: 'nest',
        msg: 'Nest application successfully started',
      }),
    );
    expect(records).toContainEqual(
      expect.objectContaining({
        node: 'm1',
        component: 'control-plane',
        msg: 'control plane started',
      }),
    );
  });

  it('gives the node agent the same endpoints under its own name', async () => {
    const url = (path: string) => `http://127.0.0.1:${worker.port}${path}`;
    expect(await getText(url('/healthz?verbose'))).toMatchObject({
      status: 200,
      body: '[+]ping ok\nhealthz check passed\n',
    });
    expect((await getText(url('/metrics'))).body).toMatch(
      /node="w1",component="node-agent",git_commit="[0-9a-f]{40}"\} 1/,
    );
  });
});
