// The pod network between two workers in network namespaces: each worker's PodNetwork writes its
// CNI configuration and routes from Node objects; pods get their interfaces from the real CNI
// plugins (Debian's containernetworking-plugins) run with that configuration, as containerd would.
import { processRunner } from '@flotilla/kube-proxy';
import { CNI_CONFLIST_FILE, PodNetwork } from '@flotilla/node-network';
import { JsonLogger, memorySink } from '@flotilla/observability';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { node } from '@flotilla/node-network/testing/fixtures';
import { CNI_BIN_DIR, cniAdd } from './support/cni-runner';
import { NetnsLab, Worker, inNs, requireTools } from './support/netns-lab';
import { answeredBy, probe, startServer } from './support/netns-probes';
import { waitFor } from './support/wait';

jest.setTimeout(120_000);

let lab: NetnsLab;
let tmp: string;
let w1: Worker;
let w2: Worker;
let ext: { netns: string; ip: string };
const networks = new Map<string, PodNetwork>();
const ready = new Map<string, string>();

function confDir(w: Worker): string {
  return join(tmp, w.name, 'net.d');
}

beforeAll(() => {
  requireTools(['ip', 'nft', 'nsenter']);
  if (!existsSync(`${CNI_BIN_DIR}/bridge`)) {
    throw new Error(
      `CNI plugins missing in ${CNI_BIN_DIR}: apt-get install -y containernetworking-plugins`,
    );
  }
  lab = new NetnsLab('pn', 78);
  ext = lab.addFabricHost('ext', 100);
  w1 = lab.addWorker('w1', { bare: true, defaultVia: ext.ip });
  w2 = lab.addWorker('w2', { bare: true, defaultVia: ext.ip });
  tmp = mkdtempSync(join(tmpdir(), 'pod-network-'));
  for (const w of [w1, w2]) {
    const net = new PodNetwork({
      nodeName: w.name,
      clusterCIDRs: [`10.${lab.subnet}.0.0/16`],
      cniConfDir: confDir(w),
      ipamDataDir: join(tmp, w.name, 'ipam'),
      runner: processRunner({ netns: w.netns }),
      logger: new JsonLogger({ node: w.name, component: 'pod-network', sink: memorySink() }),
      minSyncPeriodMs: 50,
      onReadyChange: (ok, message) => ready.set(w.name, `${ok} ${message}`),
    });
    networks.set(w.name, net);
  }
});

afterAll(async () => {
  for (const n of networks.values()) await n.stop();
  lab?.destroy();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const nodes = () => [
  node('w1', `10.${lab.subnet}.1.0/24`, w1.ip),
  node('w2', `10.${lab.subnet}.2.0/24`, w2.ip),
];

describe('pod network across workers', () => {
  let a: { netns: string; ip: string };
  let b: { netns: string; ip: string };

  it('is not ready before the node has a pod range, ready once configuration and routes are in place', async () => {
    const net = networks.get('w1')!;
    net.onNodeUpsert(node('w1', undefined, w1.ip));
    net.onNodesSynced();
    await waitFor('not ready', () =>
      ready.get('w1')?.startsWith('false node w1 has no pod CIDR') ? true : undefined,
    );
    for (const [name, n] of networks) {
      for (const nd of nodes()) n.onNodeUpsert(nd);
      if (name === 'w2') n.onNodesSynced();
    }
    await waitFor('both ready', () =>
      ready.get('w1')?.startsWith('true') && ready.get('w2')?.startsWith('true') ? true : undefined,
    );
    expect(ready.get('w1')).toBe(
      `true pod range 10.${lab.subnet}.1.0/24; routes to 1 other node ranges`,
    );
    expect(inNs(w1.netns, ['ip', 'route', 'show', 'proto', '213'])).toContain(
      `10.${lab.subnet}.2.0/24 via ${w2.ip}`,
    );
  });

  it('pods get addresses from their node range through the written CNI configuration', () => {
    const podOn = (w: Worker, name: string) => {
      const netns = lab.addEmptyNs(name);
      const result = cniAdd(
        w.netns,
        netns,
        `${lab.prefix}-${name}`,
        readFileSync(join(confDir(w), CNI_CONFLIST_FILE), 'utf8'),
      );
      const ip = result.ips![0].address.split('/')[0];
      return { netns, ip };
    };
    a = podOn(w1, 'a');
    b = podOn(w2, 'b');
    expect(a.ip).toMatch(new RegExp(`^10\\.${lab.subnet}\\.1\\.`));
    expect(b.ip).toMatch(new RegExp(`^10\\.${lab.subnet}\\.2\\.`));
  });

  it('a pod on one worker reaches a pod on the other by IP, keeping its address', async () => {
    await startServer(lab, b.netns, 'b', { tcp: [8080] });
    await startServer(lab, a.netns, 'a', { tcp: [8080] });
    expect(await probe(lab, a.netns, 'tcp', b.ip, 8080, 3)).toEqual(
      Array(3).fill({ ok: `hello b ${a.ip}` }),
    );
    expect(await probe(lab, b.netns, 'tcp', a.ip, 8080, 3)).toEqual(
      Array(3).fill({ ok: `hello a ${b.ip}` }),
    );
  });

  it('traffic leaving the cluster range is masqueraded to the node address', async () => {
    await startServer(lab, ext.netns, 'ext', { tcp: [8080] });
    expect(await probe(lab, a.netns, 'tcp', ext.ip, 8080, 2)).toEqual(
      Array(2).fill({ ok: `hello ext ${w1.ip}` }),
    );
    expect(answeredBy(await probe(lab, b.netns, 'tcp', ext.ip, 8080, 1))).toEqual(['ext']);
  });

  it('a node that goes away takes its route with it', async () => {
    networks.get('w1')!.onNodeDelete(nodes()[1]);
    await waitFor('the route to be removed', () =>
      inNs(w1.netns, ['ip', 'route', 'show', 'proto', '213']).trim() === '' ? true : undefined,
    );
    expect(await probe(lab, a.netns, 'tcp', b.ip, 8080, 1, 1500)).not.toEqual([
      { ok: expect.anything() },
    ]);
  });
});
