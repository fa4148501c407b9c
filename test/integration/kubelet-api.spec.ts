// The kubelet's API side against a real master (in-process), with pods on the fake runtime:
// kubectl sees the Node Ready with its Lease, a pod bound to the node Running with its events, a
// bad image as ErrImagePull/ImagePullBackOff, and a graceful delete that removes the pod.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findResource } from '@flotilla/api';
import { memorySink } from '@flotilla/observability';
import type { StartedProcess } from '@flotilla/process/nest';
import { startControlPlane } from '../../apps/control-plane/src/start-control-plane';
import { KubeletApi } from '../../libs/kubelet/src/api/kubelet-api';
import { Kubelet } from '../../libs/kubelet/src/kubelet';
import { fanOut, MemoryEvents } from '../../libs/kubelet/src/pod/events';
import { FakeRuntime } from '../../libs/kubelet/src/runtime/fake/fake-runtime';
import { MemoryMounter } from '../../libs/kubelet/src/volumes/mounter';
import { systemClock } from '../../libs/kubelet/src/util/clock';
import { silentLogger } from '../../libs/kubelet/src/util/logger';
import type { NodeFacts } from '../../libs/kubelet/src/node/node-facts';
import { connect, type KubeClient } from '@flotilla/client';
import { freePortBlock } from './support/ports';
import { runTool } from './support/run-tool';
import { waitFor } from './support/wait';

const facts: NodeFacts = {
  capacity: { cpu: '2', memory: '8388608Ki', 'ephemeral-storage': '20971520Ki', pods: '110' },
  allocatable: { cpu: '2', memory: '8286208Ki', 'ephemeral-storage': '20971520Ki', pods: '110' },
  nodeInfo: {
    machineID: 'm',
    systemUUID: 'm',
    bootID: 'b',
    kernelVersion: '6.1.0',
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    containerRuntimeVersion: 'fake://1.0.0',
    kubeletVersion: 'v1.32.0-flotilla',
    kubeProxyVersion: '',
    operatingSystem: 'linux',
    architecture: 'amd64',
  },
  addresses: [
    { type: 'InternalIP', address: '10.231.0.1' },
    { type: 'Hostname', address: 'w1' },
  ],
  allocatableNumbers: { cpuMilli: 2000, memoryBytes: 8 * 2 ** 30, ephemeralStorageBytes: 2 ** 34 },
};

describe('kubelet against a real master', () => {
  let dataRoot: string;
  let master: StartedProcess;
  let env: NodeJS.ProcessEnv;
  let kubelet: Kubelet;
  let api: KubeletApi;
  let runtime: FakeRuntime;
  let client: KubeClient;

  const kubectl = async (...args: string[]) => {
    const r = await runTool('kubectl', args, { env });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  beforeAll(async () => {
    dataRoot = mkdtempSync(join(tmpdir(), 'flotilla-kubelet-api-'));
    const ports = await freePortBlock([0, 1]);
    master = await startControlPlane(
      {
        name: 'm1',
        dataDir: join(dataRoot, 'm1'),
        listenHost: '127.0.0.1',
        advertiseHost: '127.0.0.1',
        apiPort: 0,
        etcdPort: ports,
        peerPort: ports + 1,
        peers: [{ name: 'm1', host: '127.0.0.1', port: ports + 1 }],
        clusterToken: 'test',
        logLevel: 'warn',
        tickMs: 50,
        electionTicks: 10,
        snapshotEvery: 10000,
        initialClusterState: 'new',
      },
      { logSink: memorySink() },
    );
    const base = `http://127.0.0.1:${master.port}`;
    ({ client } = connect([base], { component: 'kubelet', rateLimit: false }));
    await waitFor('bootstrap namespaces', async () =>
      (await client
        .resource(findResource('', 'v1', 'namespaces')!)
        .get('kube-node-lease')
        .catch(() => undefined))
        ? true
        : undefined,
    );
    const kubeconfig = join(dataRoot, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: c, cluster: {server: "${base}"}}]`,
        'users: [{name: u, user: {}}]',
        'contexts: [{name: x, context: {cluster: c, user: u, namespace: default}}]',
        'current-context: x',
      ].join('\n'),
    );
    env = { ...process.env, KUBECONFIG: kubeconfig };

    runtime = new FakeRuntime({ clock: systemClock });
    runtime.failPulls(
      'flotilla/missing:1',
      'failed to resolve reference "docker.io/flotilla/missing:1": not found',
    );
    api = new KubeletApi({
      resources: (info, ns) => client.resource(info, ns),
      identity: { name: 'w1', labels: {}, taints: [] },
      facts: () => facts,
      runtimeStatus: () => runtime.status(),
      clock: systemClock,
      logger: silentLogger,
      statusPeriodMs: 1000,
      leasePeriodMs: 1000,
    });
    kubelet = new Kubelet({
      nodeName: 'w1',
      runtime,
      objects: api.objects,
      hostIPs: ['10.231.0.1'],
      layout: {
        cgroupRoot: '/kubepods',
        podLogRoot: join(dataRoot, 'logs'),
        clusterDns: [],
        clusterDomain: 'cluster.local',
        memoryCapacityBytes: 8 * 2 ** 30,
      },
      node: facts.allocatableNumbers,
      rootDir: join(dataRoot, 'kubelet'),
      mounter: new MemoryMounter(),
      events: fanOut(new MemoryEvents(), api.events),
      sources: ['api'],
      relistPeriodMs: 200,
      onStatus: api.onStatus,
      onTerminated: api.onTerminated,
    });
    await kubelet.start();
    api.start(kubelet);
  }, 60_000);

  afterAll(async () => {
    api?.stop();
    kubelet?.stop();
    runtime?.close();
    client?.close();
    // Connections the kubelet's client kept alive would hold the server's close for their
    // keep-alive timeout: end them as the close begins.
    const server = master?.app.getHttpServer() as { closeAllConnections?: () => void } | undefined;
    const closing = master?.app.close();
    const kill = setInterval(() => server?.closeAllConnections?.(), 50);
    await closing;
    clearInterval(kill);
    rmSync(dataRoot, { recursive: true, force: true });
  });

  it('shows the Node Ready with its capacity, and its Lease', async () => {
    await waitFor('node w1 Ready', async () =>
      (await kubectl(
        'get',
        'node',
        'w1',
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      ).catch(() => '')) === 'True'
        ? true
        : undefined,
    );
    const table = await kubectl('get', 'nodes');
    expect(table).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\n/);
    expect(table).toMatch(/\nw1\s+Ready\s+<none>\s+\S+\s+v1\.32\.0-flotilla\n/);
    // The Lease may come first; it gets the Node as its owner on a later renewal.
    const lease = await waitFor('the Lease owned by the Node', async () => {
      const l = JSON.parse(
        await kubectl('get', 'lease', '-n', 'kube-node-lease', 'w1', '-o', 'json'),
      );
      return l.metadata.ownerReferences ? l : undefined;
    });
    expect(lease.spec).toMatchObject({ holderIdentity: 'w1', leaseDurationSeconds: 40 });
    expect(lease.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Node', name: 'w1' }),
    ]);
  });

  it('runs a pod bound to it: kubectl get and describe read right', async () => {
    await runTool('kubectl', ['apply', '-f', '-'], {
      env,
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web' },
        spec: { nodeName: 'w1', containers: [{ name: 'web', image: 'flotilla/demo-web:1' }] },
      }),
    });
    await waitFor(
      'web Running',
      async () =>
        (await kubectl('get', 'pod', 'web', '-o', 'jsonpath={.status.phase}')) === 'Running'
          ? true
          : undefined,
      30_000,
    );
    expect(await kubectl('get', 'pod', 'web')).toMatch(/\nweb\s+1\/1\s+Running\s+0\s+/);
    const describe = await waitFor('the Started event in describe', async () => {
      const text = await kubectl('describe', 'pod', 'web');
      return text.includes('Started') ? text : undefined;
    });
    expect(describe).toMatch(/Node:\s+w1\/10\.231\.0\.1/);
    expect(describe).toMatch(/IP:\s+10\.88\.0\.\d+/);
    expect(describe).toMatch(/Ready\s+True/);
    expect(describe).toMatch(/Normal\s+Pulling\s+.*kubelet\s+Pulling image "flotilla\/demo-web:1"/);
  });

  it('shows ErrImagePull, then ImagePullBackOff, for an image that does not exist', async () => {
    await runTool('kubectl', ['apply', '-f', '-'], {
      env,
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'missing' },
        spec: { nodeName: 'w1', containers: [{ name: 'app', image: 'flotilla/missing:1' }] },
      }),
    });
    const seen = new Set<string>();
    await waitFor(
      'both reasons in kubectl get',
      async () => {
        const row = await kubectl('get', 'pod', 'missing', '--no-headers');
        const m = /^missing\s+0\/1\s+(\S+)/.exec(row);
        if (m) seen.add(m[1]);
        return seen.has('ErrImagePull') && seen.has('ImagePullBackOff') ? true : undefined;
      },
      30_000,
      100,
    );
  });

  it('deletes gracefully: the kubelet stops the pod, then the object goes', async () => {
    await kubectl('delete', 'pod', 'web', '--wait=false');
    await waitFor(
      'web gone',
      async () => {
        const r = await runTool('kubectl', ['get', 'pod', 'web'], { env });
        return r.code !== 0 && /NotFound/.test(r.stderr) ? true : undefined;
      },
      30_000,
    );
    expect(
      runtime.allContainers().filter((c) => c.labels['io.kubernetes.pod.name'] === 'web'),
    ).toEqual([]);
  });
});
