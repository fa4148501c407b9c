import type { KubeObject } from '@flotilla/api';
import {
  desiredMasters,
  endpointsFor,
  kubernetesServiceBody,
  MasterAddress,
  slicesFor,
} from './kubernetes-service';

const m = (name: string, ip: string, port = 6443): MasterAddress => ({ name, ip, port });
const stored = (o: KubeObject, rv = '7'): KubeObject => ({
  ...o,
  metadata: { ...o.metadata, resourceVersion: rv },
});
const subsetsOf = (o: KubeObject | undefined) => o?.subsets;
const endpointsOf = (slices: KubeObject[]) =>
  Object.fromEntries(slices.map((s) => [s.metadata.name, s.endpoints]));

describe('the kubernetes Service', () => {
  it('is a ClusterIP Service on 443 named https, leading to the API port', () => {
    expect(kubernetesServiceBody('10.96.0.1', 6443)).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { component: 'apiserver', provider: 'kubernetes' },
      },
      spec: {
        type: 'ClusterIP',
        clusterIP: '10.96.0.1',
        clusterIPs: ['10.96.0.1'],
        sessionAffinity: 'None',
        ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: 6443 }],
      },
    });
  });
});

describe('desiredMasters', () => {
  const live = [m('m1', '10.0.0.1'), m('m2', '10.0.0.2'), m('m3', '10.0.0.3')];

  it('lists every live master and this one, once', () => {
    expect(desiredMasters(live.slice(1), m('m1', '10.0.0.1'))).toEqual([
      m('m2', '10.0.0.2'),
      m('m3', '10.0.0.3'),
      m('m1', '10.0.0.1'),
    ]);
    expect(desiredMasters(live, m('m1', '10.0.0.1'))).toHaveLength(3);
    expect(desiredMasters(live, undefined)).toEqual(live);
  });

  it('leaves this master out when it is leaving, even if its lease still shows', () => {
    expect(desiredMasters(live, m('m1', '10.0.0.1'), false)).toEqual(live.slice(1));
  });

  it("drops this master's predecessor: its old address, or another name on its address", () => {
    expect(desiredMasters(live, m('m1', '10.0.0.5'))).toEqual([
      m('m2', '10.0.0.2'),
      m('m3', '10.0.0.3'),
      m('m1', '10.0.0.5'),
    ]);
    expect(desiredMasters(live, m('m4', '10.0.0.3')).map((x) => x.name)).toEqual([
      'm1',
      'm2',
      'm4',
    ]);
  });
});

describe('endpointsFor', () => {
  it('creates the Endpoints with the masters, skipped by the mirroring controller', () => {
    expect(endpointsFor(undefined, [m('m1', '10.0.0.1')])).toEqual({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
      },
      subsets: [
        {
          addresses: [{ ip: '10.0.0.1', hostname: 'm1' }],
          ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
        },
      ],
    });
  });

  it('adds a master in address order, keeps the stored resourceVersion, then has nothing to do', () => {
    const one = stored(endpointsFor(undefined, [m('m2', '10.0.0.2')])!);
    const masters = [m('m2', '10.0.0.2'), m('m1', '10.0.0.1')];
    const two = endpointsFor(one, masters)!;
    expect(two.metadata.resourceVersion).toBe('7');
    expect(subsetsOf(two)).toEqual([
      {
        addresses: [
          { ip: '10.0.0.1', hostname: 'm1' },
          { ip: '10.0.0.2', hostname: 'm2' },
        ],
        ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
      },
    ]);
    expect(endpointsFor(stored(two), masters)).toBeUndefined();
    expect(endpointsFor(stored(two), [...masters].reverse())).toBeUndefined();
  });

  it('removes masters that are no longer live, and entries nobody owns', () => {
    const ep = stored({
      metadata: { name: 'kubernetes', namespace: 'default' },
      subsets: [
        {
          addresses: [
            { ip: '10.0.0.1', hostname: 'm1' },
            { ip: '10.0.0.2', hostname: 'm2' },
          ],
          ports: [{ port: 6443 }],
        },
        { addresses: [{ ip: '10.0.0.9' }], ports: [{ port: 6443 }] },
      ],
    });
    expect(endpointsFor(ep, [m('m2', '10.0.0.2')])!.subsets).toEqual([
      {
        addresses: [{ ip: '10.0.0.2', hostname: 'm2' }],
        ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
      },
    ]);
    expect(endpointsFor(ep, [])!.subsets).toEqual([]);
  });

  it('gives masters on one host a subset per API port, and drops the port of one that left', () => {
    const all = [
      m('m3', '127.0.0.1', 6445),
      m('m1', '127.0.0.1', 6443),
      m('m2', '127.0.0.1', 6444),
    ];
    const ep = stored(endpointsFor(undefined, all)!);
    expect(ep.subsets).toEqual(
      [6443, 6444, 6445].map((port, i) => ({
        addresses: [{ ip: '127.0.0.1', hostname: `m${i + 1}` }],
        ports: [{ name: 'https', port, protocol: 'TCP' }],
      })),
    );
    expect(
      (endpointsFor(ep, [all[0], all[1]])!.subsets as { ports: { port: number }[] }[]).map(
        (s) => s.ports[0].port,
      ),
    ).toEqual([6443, 6445]);
  });
});

describe('slicesFor', () => {
  it('creates the slice named after the Service for its target port', () => {
    const plan = slicesFor([], [m('m1', '10.0.0.1')], 6443);
    expect(plan.remove).toEqual([]);
    expect(plan.write).toEqual([
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: 'kubernetes',
          namespace: 'default',
          labels: { 'kubernetes.io/service-name': 'kubernetes' },
        },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true }, hostname: 'm1' }],
        ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
      },
    ]);
  });

  /** Applies a plan to `slices` as the API would: written ones stored, removed ones gone. */
  const applier = () => {
    let slices: KubeObject[] = [];
    const apply = (masters: MasterAddress[]) => {
      const plan = slicesFor(slices, masters, 6443);
      const written = new Map(plan.write.map((s) => [s.metadata.name, stored(s)]));
      slices = [...slices.filter((s) => !written.has(s.metadata.name)), ...written.values()].filter(
        (s) => !plan.remove.includes(s),
      );
      return plan;
    };
    return { apply, slices: () => slices };
  };

  it('puts masters in the slice of their port, a new slice per other port, then has nothing to do', () => {
    const { apply, slices } = applier();
    const masters = [m('m2', '127.0.0.1', 6444), m('m1', '127.0.0.1', 6443), m('m3', '10.0.0.3')];
    apply(masters.slice(0, 1));
    apply(masters);
    expect(endpointsOf(slices())).toEqual({
      'kubernetes-6444': [
        { addresses: ['127.0.0.1'], conditions: { ready: true }, hostname: 'm2' },
      ],
      kubernetes: [
        { addresses: ['10.0.0.3'], conditions: { ready: true }, hostname: 'm3' },
        { addresses: ['127.0.0.1'], conditions: { ready: true }, hostname: 'm1' },
      ],
    });
    expect(slicesFor(slices(), [...masters].reverse(), 6443)).toEqual({ write: [], remove: [] });
  });

  it('removes departed masters: an emptied slice goes, the one named after the Service stays', () => {
    const { apply, slices } = applier();
    apply([m('m1', '127.0.0.1', 6443), m('m2', '127.0.0.1', 6444), m('m3', '127.0.0.1', 6445)]);
    expect(
      slices()
        .map((s) => s.metadata.name)
        .sort(),
    ).toEqual(['kubernetes', 'kubernetes-6444', 'kubernetes-6445']);
    const plan = apply([m('m1', '127.0.0.1', 6443), m('m3', '127.0.0.1', 6445)]);
    expect(plan.write).toEqual([]);
    expect(plan.remove.map((s) => s.metadata.name)).toEqual(['kubernetes-6444']);
    const last = apply([m('m3', '127.0.0.1', 6445)]);
    expect(last.write.map((s) => [s.metadata.name, s.endpoints])).toEqual([['kubernetes', []]]);
    expect(endpointsOf(slices())).toEqual({
      kubernetes: [],
      'kubernetes-6445': [
        { addresses: ['127.0.0.1'], conditions: { ready: true }, hostname: 'm3' },
      ],
    });
    // The primary port comes back: the slice named after the Service is taken by then.
    apply([m('m1', '127.0.0.1', 6443), m('m3', '127.0.0.1', 6445)]);
    expect(
      slices()
        .map((s) => s.metadata.name)
        .sort(),
    ).toEqual(['kubernetes', 'kubernetes-6445']);
  });
});
