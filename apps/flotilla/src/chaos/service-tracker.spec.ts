import type { EndpointSlice } from '@flotilla/client';
import { ServiceTracker } from './service-tracker';
import { serviceViews } from './service-views';

/** One EndpointSlice as the endpointslice controller writes it. */
const slice = (
  service: string,
  port: number,
  endpoints: { pod?: string; ip: string; node?: string; ready?: boolean; terminating?: boolean }[],
  name = `${service}-abcde`,
): EndpointSlice =>
  ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name,
      namespace: 'default',
      labels: { 'kubernetes.io/service-name': service },
    },
    addressType: 'IPv4',
    ports: [{ port, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, terminating: e.terminating ?? false },
      ...(e.node ? { nodeName: e.node } : {}),
      ...(e.pod ? { targetRef: { kind: 'Pod', name: e.pod, namespace: 'default' } } : {}),
    })),
  }) as EndpointSlice;

const web = (eps: Parameters<typeof slice>[2]) => serviceViews([slice('web', 8080, eps)]);

describe('ServiceTracker: a kill-worker w1 run, from recorded EndpointSlices', () => {
  const atFault = web([
    { pod: 'web-a', ip: '10.244.1.2', node: 'w1' },
    { pod: 'web-b', ip: '10.244.1.3', node: 'w1' },
    { pod: 'web-c', ip: '10.244.2.2', node: 'w2' },
  ]);

  it('reports the endpoints on the failed node dropping, then the Service whole again', () => {
    const t = new ServiceTracker(atFault, 'w1');
    expect(t.affected).toEqual(['default/web']);
    // The node is NotReady, its pods not yet marked: nothing to say.
    expect(t.observe(atFault, 15_000)).toEqual([]);
    // The node lifecycle controller marked the pods on w1 not ready: the slices follow.
    const marked = web([
      { pod: 'web-a', ip: '10.244.1.2', node: 'w1', ready: false },
      { pod: 'web-b', ip: '10.244.1.3', node: 'w1', ready: false },
      { pod: 'web-c', ip: '10.244.2.2', node: 'w2' },
    ]);
    expect(t.observe(marked, 16_000)).toEqual([
      {
        atMs: 16_000,
        kind: 'service',
        text: 'Service default/web: the endpoints on w1 dropped (1 of 3 endpoints ready (w2: 1))',
      },
    ]);
    expect(t.notWhole()).toEqual(['default/web']);
    // Evicted and replaced on w2: one replacement Ready, then the second.
    expect(
      t.observe(
        web([
          { pod: 'web-c', ip: '10.244.2.2', node: 'w2' },
          { pod: 'web-d', ip: '10.244.2.3', node: 'w2' },
          { pod: 'web-e', ip: '10.244.2.4', node: 'w2', ready: false },
        ]),
        40_000,
      ),
    ).toEqual([]);
    expect(
      t.observe(
        web([
          { pod: 'web-c', ip: '10.244.2.2', node: 'w2' },
          { pod: 'web-d', ip: '10.244.2.3', node: 'w2' },
          { pod: 'web-e', ip: '10.244.2.4', node: 'w2' },
        ]),
        41_500,
      ),
    ).toEqual([
      {
        atMs: 41_500,
        kind: 'service',
        text: 'Service default/web whole again: 3 of 3 endpoints ready (w2: 3)',
      },
    ]);
    expect(t.notWhole()).toEqual([]);
    expect(t.stayedWhole()).toEqual([]);
  });

  it('leaves Services without endpoints on the failed node whole, and says so', () => {
    const other = serviceViews([
      slice('api', 80, [{ pod: 'api-a', ip: '10.244.2.9', node: 'w2' }]),
    ]);
    const t = new ServiceTracker([...atFault, ...other], 'w1');
    expect(t.affected).toEqual(['default/web']);
    t.observe([...atFault, ...other], 1000);
    expect(t.stayedWhole()).toEqual(['default/web (3)', 'default/api (1)']);
  });

  it('counts terminating endpoints as not ready, as kube-proxy does', () => {
    const t = new ServiceTracker(atFault, 'w1');
    const leaving = web([
      { pod: 'web-a', ip: '10.244.1.2', node: 'w1', ready: false, terminating: true },
      { pod: 'web-b', ip: '10.244.1.3', node: 'w1' },
      { pod: 'web-c', ip: '10.244.2.2', node: 'w2' },
    ]);
    expect(t.observe(leaving, 100).map((e) => e.text)).toEqual([
      'Service default/web: 2 of 3 endpoints ready (w1: 1, w2: 1); not ready or gone: web-a',
    ]);
  });
});

describe('ServiceTracker: a master killed and restarted, from the kubernetes Service slices', () => {
  // One slice per master: they listen on one address with a port each.
  const masters = (ports: number[]) =>
    serviceViews(
      ports.map((p) => slice('kubernetes', p, [{ ip: '127.0.0.1' }], `kubernetes-${p}`)),
    );

  it('reports the dead master gone from the endpoints and the Service whole once it is back', () => {
    const t = new ServiceTracker(masters([6443, 6444, 6445]));
    expect(t.observe(masters([6443, 6444, 6445]), 5000)).toEqual([]);
    expect(t.observe(masters([6444, 6445]), 16_000).map((e) => e.text)).toEqual([
      'Service default/kubernetes: 2 of 3 endpoints ready; not ready or gone: 127.0.0.1:6443',
    ]);
    expect(t.observe(masters([6443, 6444, 6445]), 30_000).map((e) => e.text)).toEqual([
      'Service default/kubernetes whole again: 3 of 3 endpoints ready',
    ]);
  });
});
