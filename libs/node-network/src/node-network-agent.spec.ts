// The node's networking driven by informers over libs/client's fake API server: nothing touches
// the kernel before the first lists, then Services, EndpointSlices and Nodes flow to kube-proxy,
// DNS and the pod network. The tools are a recording stand-in (the netns tests run the real ones).
import {
  EventBroadcaster,
  type EventV1,
  FakeCluster,
  SharedInformerFactory,
  eventsV1Sink,
} from '@flotilla/client';
import type { CommandResult, CommandRunner } from '@flotilla/kube-proxy';
import { port, service, slice } from '@flotilla/kube-proxy/testing/fixtures';
import { JsonLogger, memorySink } from '@flotilla/observability';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { ENDPOINT_SLICES, NODES, SERVICES, feedNodeNetwork } from './informers';
import { NodeNetworkAgent, NodeNetworkSettings } from './node-network-agent';
import { node } from './testing/fixtures';
import { waitUntil } from './testing/wait';

class FakeTools implements CommandRunner {
  readonly scripts: string[] = [];
  readonly routes = new Map<string, string>();
  /** Transactions still to refuse. */
  nftFailures = 0;
  async run(command: string, args: readonly string[], input?: string): Promise<CommandResult> {
    const ok = (stdout = ''): CommandResult => ({ code: 0, stdout, stderr: '' });
    const line = args.join(' ');
    if (command === 'nft' && line === '-f -' && this.nftFailures > 0) {
      this.nftFailures--;
      return {
        code: 1,
        stdout: '',
        stderr: 'Error: Could not process rule: Operation not supported\n',
      };
    }
    if (command === 'nft' && line === '-f -') {
      this.scripts.push(input ?? '');
      return ok();
    }
    if (command === 'nft') return ok(line.startsWith('-j') ? '{"nftables":[]}' : '');
    if (command === 'ip' && line.startsWith('-j -4 route show')) {
      return ok(JSON.stringify([...this.routes].map(([dst, gateway]) => ({ dst, gateway }))));
    }
    if (command === 'ip' && line.startsWith('-j')) return ok('[]');
    if (command === 'ip' && args[0] === 'route' && args[1] === 'replace')
      this.routes.set(args[2], args[4]);
    if (command === 'ip' && args[0] === 'route' && args[1] === 'del') this.routes.delete(args[2]);
    return ok();
  }
}

describe('node networking from informers', () => {
  let dir: string;
  let agent: NodeNetworkAgent;
  let factory: SharedInformerFactory;
  const tools = new FakeTools();
  const cluster = new FakeCluster();
  const events = (ns: string) => cluster.resource('events.events.k8s.io', ns);
  const broadcaster = new EventBroadcaster({ sink: eventsV1Sink(events) });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'node-network-'));
  });

  afterAll(async () => {
    factory?.shutdown();
    await agent?.stop();
    broadcaster.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits for the first lists, then syncs kube-proxy, DNS and the pod network', async () => {
    await cluster
      .resource(SERVICES, 'demo')
      .create(
        service('demo', 'web', { clusterIP: '10.96.0.20', ports: [port(80, { name: 'http' })] }),
      );
    await cluster
      .resource(ENDPOINT_SLICES, 'demo')
      .create(
        slice('demo', 'web', [{ ip: '10.244.2.5', node: 'w2' }], [{ name: 'http', port: 8080 }]),
      );
    await cluster.resource(NODES).create(node('w1', '10.244.1.0/24', '192.168.50.1'));
    await cluster.resource(NODES).create(node('w2', '10.244.2.0/24', '192.168.50.2'));

    const settings: NodeNetworkSettings = {
      nodeName: 'w1',
      proxy: true,
      clusterCIDRs: ['10.244.0.0/16'],
      serviceCIDRs: ['10.96.0.0/12'],
      nodeIPs: [],
      nodePortAddresses: [],
      masqueradeAll: false,
      masqueradeBit: 14,
      proxier: { minSyncPeriodMs: 10 },
      podNetwork: true,
      cniConfDir: join(dir, 'net.d'),
      cniIpamDir: join(dir, 'ipam'),
      dns: false,
      clusterDomain: 'cluster.local',
      resolvConf: '/etc/resolv.conf',
    };
    const ready: string[] = [];
    agent = new NodeNetworkAgent({
      settings,
      runner: tools,
      logger: new JsonLogger({ node: 'w1', component: 'node-agent', sink: memorySink() }),
      registry: new Registry(),
      events: broadcaster.newRecorder({
        reportingController: 'kube-proxy',
        reportingInstance: 'w1',
      }),
      onNetworkReadyChange: (ok, message) => ready.push(`${ok} ${message}`),
    });
    await agent.start();
    expect(tools.scripts).toEqual([]);

    factory = new SharedInformerFactory({
      listerWatcher: (info, ns) => cluster.resource(info, ns),
    });
    feedNodeNetwork(agent, factory);
    factory.start();

    await waitUntil(() => tools.scripts.some((s) => s.includes('add table ip kube-proxy')));
    const full = tools.scripts.find((s) => s.includes('add table ip kube-proxy'))!;
    expect(full).toContain('dnat to 10.244.2.5:8080');
    // The node's own InternalIP, from its Node object, accepts NodePorts.
    await waitUntil(
      () =>
        agent.proxiers[0].inSync &&
        tools.scripts.some((s) => s.includes('nodeport-ips { 192.168.50.1 }')),
    );
    expect(
      agent.records.lookup('web.demo.svc.cluster.local', 'A').answers.map((a) => a.record.data),
    ).toEqual(['10.96.0.20']);
    await waitUntil(() => ready.some((r) => r.startsWith('true')));
    expect(tools.routes).toEqual(new Map([['10.244.2.0/24', '192.168.50.2']]));
    expect(existsSync(join(dir, 'net.d', '10-flotilla.conflist'))).toBe(true);
  });

  it('a Service created later is synced incrementally and resolves', async () => {
    const before = tools.scripts.length;
    await cluster
      .resource(SERVICES, 'demo')
      .create(service('demo', 'api', { clusterIP: '10.96.0.21', ports: [port(80)] }));
    await waitUntil(() => tools.scripts.slice(before).some((s) => s.includes('10.96.0.21')));
    expect(tools.scripts.slice(before).join('')).not.toContain('add table ip kube-proxy');
    expect(agent.records.lookup('api.demo.svc.cluster.local', 'A').rcode).toBe('NOERROR');
  });

  it("kube-proxy's problems are events: about the Service that lost its NodePort, about the Node when nft fails", async () => {
    const nodePort = (name: string, clusterIP: string) =>
      service('demo', name, {
        type: 'NodePort',
        clusterIP,
        ports: [port(80, { nodePort: 30090 })],
      });
    await cluster.resource(SERVICES, 'demo').create(nodePort('np', '10.96.0.30'));
    await waitUntil(() => tools.scripts.some((s) => s.includes('10.96.0.30')));
    const thief = await cluster.resource(SERVICES, 'demo').create(nodePort('thief', '10.96.0.31'));
    const listed = async (ns: string) => {
      await broadcaster.flush();
      return (await events(ns).list()).items as EventV1[];
    };
    const eventsIn = async (ns: string) => {
      for (let i = 0; i < 500; i++) {
        const found = await listed(ns);
        if (found.length > 0) return found;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no events in ${ns}`);
    };
    await eventsIn('demo');
    expect((await listed('demo')).map((e) => [e.reason, e.regarding])).toEqual([
      [
        'KubeProxyServiceConflict',
        {
          apiVersion: 'v1',
          kind: 'Service',
          namespace: 'demo',
          name: 'thief',
          uid: thief.metadata.uid,
          resourceVersion: thief.metadata.resourceVersion,
        },
      ],
    ]);

    tools.nftFailures = 1;
    const own = await cluster.resource(NODES).get('w1');
    await cluster
      .resource(SERVICES, 'demo')
      .create(service('demo', 'late', { clusterIP: '10.96.0.32', ports: [port(80)] }));
    const [failed] = await eventsIn('default');
    expect(failed).toMatchObject({
      type: 'Warning',
      reason: 'KubeProxySyncFailed',
      reportingController: 'kube-proxy',
      reportingInstance: 'w1',
      regarding: { kind: 'Node', name: 'w1', uid: own.metadata.uid },
    });
    expect(failed.note).toContain('Operation not supported');
    // The retry (a full sync) puts the new Service in.
    await waitUntil(() => tools.scripts.some((s) => s.includes('10.96.0.32')), 10_000);
  });

  it('a Node that goes away takes its route', async () => {
    await cluster.resource(NODES).delete('w2');
    await waitUntil(() => tools.routes.size === 0);
  });
});
