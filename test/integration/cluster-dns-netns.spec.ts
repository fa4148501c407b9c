// Cluster DNS as pods see it: a worker namespace runs the node's DNS at the kube-dns ClusterIP
// (dummy interface + notrack) next to its kube-proxy table, a pod with the resolv.conf the kubelet
// writes looks names up with glibc (search path, ndots:5), and an outside host plays the node's
// upstream resolver.
import { JsonLogger, memorySink } from '@flotilla/observability';
import {
  EndpointSlice,
  NftApplier,
  Proxier,
  Service,
  processRunner,
  proxyMetrics,
} from '@flotilla/kube-proxy';
import { NODE_OPTIONS, port, service, slice } from '@flotilla/kube-proxy/testing/fixtures';
import { podResolvConf } from '@flotilla/node-network';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Registry } from 'prom-client';
import { NetnsLab, Pod, Worker, requireTools, sh } from './support/netns-lab';
import { answeredBy, probe, startServer } from './support/netns-probes';
import { waitFor } from './support/wait';

jest.setTimeout(120_000);

const TSX = join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');
const DNS_NODE = join(__dirname, 'support', 'dns-node.ts');
const DNS_IP = '10.96.0.10';

let lab: NetnsLab;
let w1: Worker;
let ext: { netns: string; ip: string };
let c1: Pod;
let p1: Pod;
let proxier: Proxier;

interface DnsNode {
  child: ChildProcess;
  send(op: 'upsert' | 'delete', obj: Service | EndpointSlice): Promise<void>;
}
let nodeDns: DnsNode;

async function startDnsNode(netns: string, args: string[]): Promise<DnsNode> {
  const child = lab.spawnIn(netns, [TSX, DNS_NODE, ...args]);
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  await waitFor(
    `dns node in ${netns}`,
    () => {
      if (child.exitCode !== null) throw new Error(`dns node in ${netns} exited: ${stderr}`);
      return lines.includes('ready') ? true : undefined;
    },
    30_000,
  );
  let sent = 0;
  return {
    child,
    async send(op, obj) {
      sent++;
      child.stdin!.write(JSON.stringify({ op, obj }) + '\n');
      const want = `applied ${sent}`;
      await waitFor(want, () => (lines.includes(want) ? true : undefined), 10_000, 5);
    },
  };
}

/** glibc's answer for `name` in the pod (through its resolv.conf): addresses, or [] if not found. */
function lookup(pod: Pod, name: string): string[] {
  try {
    const out = sh(['ip', 'netns', 'exec', pod.netns, 'getent', 'ahostsv4', name]);
    return [
      ...new Set(
        out
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(/\s+/)[0]),
      ),
    ].sort();
  } catch (e) {
    if ((e as { status?: number }).status === 2) return [];
    throw e;
  }
}

const web = service('demo', 'web', {
  clusterIP: '10.96.0.20',
  ports: [port(80, { name: 'http' })],
});
const kubeDns = service('kube-system', 'kube-dns', {
  clusterIP: DNS_IP,
  ports: [
    port(53, { name: 'dns', protocol: 'UDP' }),
    port(53, { name: 'dns-tcp', protocol: 'TCP' }),
  ],
});

beforeAll(async () => {
  requireTools(['ip', 'nft', 'nsenter', 'getent']);
  lab = new NetnsLab('cd', 79);
  ext = lab.addFabricHost('ext', 100);
  w1 = lab.addWorker('w1', { defaultVia: ext.ip });
  c1 = lab.addPod(w1, 'c1', 20);
  p1 = lab.addPod(w1, 'p1', 11);
  lab.setResolvConf(c1.netns, podResolvConf(DNS_IP, 'demo'));
  await startServer(lab, p1.netns, 'p1', { tcp: [8080] });

  // The worker's kube-proxy: kube-dns has no endpoints (the node serves it), so its table rejects
  // the address; the notrack rules must keep DNS out of its way.
  const runner = processRunner({ netns: w1.netns });
  proxier = new Proxier({
    options: {
      ...NODE_OPTIONS,
      nodeName: 'w1',
      nodeIPs: [w1.ip],
      nodePortIPs: [w1.ip],
      clusterCIDR: '10.79.0.0/16',
    },
    applier: new NftApplier(runner, 'ip'),
    metrics: proxyMetrics(new Registry()),
    logger: new JsonLogger({ node: 'w1', component: 'kube-proxy', sink: memorySink() }),
    config: { minSyncPeriodMs: 50 },
  });
  for (const s of [web, kubeDns]) proxier.onServiceUpsert(s);
  proxier.onEndpointSliceUpsert(
    slice('demo', 'web', [{ ip: p1.ip, node: 'w1' }], [{ name: 'http', port: 8080 }]),
  );
  proxier.onServicesSynced();
  proxier.onEndpointSlicesSynced();
  await waitFor('kube-proxy', () => (proxier.inSync ? true : undefined), 30_000, 20);

  const upstream = await startDnsNode(ext.netns, [
    ext.ip,
    '-',
    'example.org',
    '--no-local-address',
  ]);
  await upstream.send('upsert', service('www', 'x', { clusterIP: '192.0.2.80', ports: [] }));
  nodeDns = await startDnsNode(w1.netns, [DNS_IP, ext.ip, 'cluster.local']);
  for (const s of [web, kubeDns]) await nodeDns.send('upsert', s);
});

afterAll(async () => {
  await proxier?.stop();
  lab?.destroy();
});

describe('cluster DNS from a pod', () => {
  it('web, web.demo and web.demo.svc.cluster.local resolve to the ClusterIP, and http://web answers', async () => {
    for (const name of ['web', 'web.demo', 'web.demo.svc.cluster.local'])
      expect(lookup(c1, name)).toEqual(['10.96.0.20']);
    expect(
      answeredBy(await probe(lab, c1.netns, 'tcp', 'web', 80, 3, 3000, { etc: true })),
    ).toEqual(['p1', 'p1', 'p1']);
  });

  it('a headless Service gives its endpoints and their StatefulSet-style names', async () => {
    await nodeDns.send(
      'upsert',
      service('demo', 'db', { clusterIP: 'None', ports: [port(5432, { name: 'pg' })] }),
    );
    await nodeDns.send(
      'upsert',
      slice('demo', 'db', [{ ip: p1.ip, hostname: 'db-0' }], [{ name: 'pg', port: 5432 }]),
    );
    expect(lookup(c1, 'db')).toEqual([p1.ip]);
    expect(lookup(c1, 'db-0.db')).toEqual([p1.ip]);
    expect(lookup(c1, 'db-0.db.demo.svc.cluster.local')).toEqual([p1.ip]);
  });

  it('a Service created after the pod resolves on the first lookup after the node has it', async () => {
    expect(lookup(c1, 'later')).toEqual([]);
    const started = process.hrtime.bigint();
    await nodeDns.send(
      'upsert',
      service('demo', 'later', { clusterIP: '10.96.0.21', ports: [port(80)] }),
    );
    expect(lookup(c1, 'later')).toEqual(['10.96.0.21']);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    process.stdout.write(
      `cluster DNS: a new Service resolved from a pod ${ms.toFixed(0)} ms after it was handed to the node\n`,
    );
  });

  it('unknown names are not found; names outside the cluster go to the node’s resolver', () => {
    expect(lookup(c1, 'nope')).toEqual([]);
    expect(lookup(c1, 'nope.other.svc.cluster.local')).toEqual([]);
    expect(lookup(c1, 'x.www.svc.example.org')).toEqual(['192.0.2.80']);
  });

  it('a malformed query gets FORMERR and the server keeps answering', async () => {
    const script = `
      const u = require('dgram').createSocket('udp4');
      u.on('message', (m) => { console.log(m.toString('hex')); process.exit(0); });
      u.send(Buffer.from('beef0100000100', 'hex'), 53, '${DNS_IP}');
      setTimeout(() => process.exit(1), 3000);`;
    const child = lab.spawnIn(c1.netns, [process.execPath, '-e', script]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => child.once('exit', r));
    const reply = Buffer.from(out.trim(), 'hex');
    expect(reply.readUInt16BE(0)).toBe(0xbeef);
    expect(reply.readUInt16BE(2) & 0xf).toBe(1);
    expect(lookup(c1, 'web')).toEqual(['10.96.0.20']);
  });
});
