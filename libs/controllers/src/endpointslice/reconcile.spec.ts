// The reconciler alone: given slices and desired endpoints, which writes. Churn is the point:
// an endpoint added, removed or changed touches one slice; slices split at the maximum.
import type { EndpointSlice, Service } from '@flotilla/client';
import {
  CONTROLLER_NAME,
  MANAGED_BY_LABEL,
  portKey,
  reconcileSlices,
  type Endpoint,
  type EndpointPort,
  type PortGroup,
  type SliceDesire,
} from './reconcile';

const service: Service = {
  metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid' },
  spec: { selector: { app: 'web' } },
};
const labels = { 'kubernetes.io/service-name': 'web', [MANAGED_BY_LABEL]: CONTROLLER_NAME };
const HTTP: EndpointPort[] = [{ name: 'http', port: 8080, protocol: 'TCP' }];

const ep = (i: number, ready = true): Endpoint => ({
  addresses: [`10.0.${Math.floor(i / 250)}.${i % 250}`],
  conditions: { ready, serving: ready, terminating: false },
  targetRef: { kind: 'Pod', namespace: 'ns', name: `p${i}` },
});
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

function desire(endpoints: Endpoint[], ports = HTTP, max = 100): SliceDesire {
  const groups = new Map<string, PortGroup>();
  if (endpoints.length > 0) groups.set(portKey(ports), { ports, endpoints });
  return { service, groups, labels, maxEndpointsPerSlice: max };
}

let serial = 0;
function slice(endpoints: Endpoint[], ports = HTTP, owner = 'svc-uid'): EndpointSlice {
  serial++;
  return {
    metadata: {
      name: `web-${serial}`,
      namespace: 'ns',
      uid: `uid-${serial}`,
      resourceVersion: String(serial),
      labels,
      ownerReferences: [
        { apiVersion: 'v1', kind: 'Service', name: 'web', uid: owner, controller: true },
      ],
    },
    addressType: 'IPv4',
    endpoints,
    ports,
  };
}

const sizes = (slices: EndpointSlice[]) => slices.map((s) => s.endpoints?.length ?? 0);

describe('EndpointSlice reconciler', () => {
  it('splits 250 endpoints into slices of at most 100', () => {
    const plan = reconcileSlices(desire(range(0, 250).map((i) => ep(i))), []);
    expect(sizes(plan.create)).toEqual([100, 100, 50]);
    expect(plan.update).toEqual([]);
    expect(plan.delete).toEqual([]);
    const first = plan.create[0];
    expect(first.metadata.generateName).toBe('web-');
    expect(first.metadata.labels).toEqual(labels);
    expect(first.metadata.ownerReferences?.[0]).toMatchObject({ uid: 'svc-uid', controller: true });
    expect(first.ports).toEqual(HTTP);
  });

  it('writes nothing when nothing changed', () => {
    const slices = [
      slice(range(0, 100).map((i) => ep(i))),
      slice(range(100, 150).map((i) => ep(i))),
    ];
    const plan = reconcileSlices(desire(range(0, 150).map((i) => ep(i))), slices);
    expect(plan).toEqual({ create: [], update: [], delete: [] });
  });

  it('puts a new endpoint in the unchanged slice with room, not a new slice', () => {
    const full = slice(range(0, 100).map((i) => ep(i)));
    const half = slice(range(100, 150).map((i) => ep(i)));
    const plan = reconcileSlices(desire(range(0, 151).map((i) => ep(i))), [full, half]);
    expect(plan.create).toEqual([]);
    expect(plan.update.map((s) => s.metadata.name)).toEqual([half.metadata.name]);
    expect(sizes(plan.update)).toEqual([51]);
    expect(plan.update[0].metadata.resourceVersion).toBe(half.metadata.resourceVersion);
  });

  it('touches only the slice of a removed or changed endpoint', () => {
    const a = slice(range(0, 100).map((i) => ep(i)));
    const b = slice(range(100, 200).map((i) => ep(i)));
    const wanted = range(0, 200)
      .filter((i) => i !== 150)
      .map((i) => ep(i, i !== 160));
    const plan = reconcileSlices(desire(wanted), [a, b]);
    expect(plan.update.map((s) => s.metadata.name)).toEqual([b.metadata.name]);
    expect(sizes(plan.update)).toEqual([99]);
    const p160 = plan.update[0].endpoints?.find((e) => e.targetRef?.name === 'p160');
    expect(p160?.conditions?.ready).toBe(false);
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([]);
  });

  it('fills a slice being written anyway before making a new one', () => {
    const a = slice(range(0, 100).map((i) => ep(i)));
    const b = slice(range(100, 190).map((i) => ep(i)));
    // p120 goes from b; p300..p309 arrive: b takes them (it is written anyway).
    const wanted = [...range(0, 190).filter((i) => i !== 120), ...range(300, 310)].map((i) =>
      ep(i),
    );
    const plan = reconcileSlices(desire(wanted), [a, b]);
    expect(plan.create).toEqual([]);
    expect(plan.update.map((s) => s.metadata.name)).toEqual([b.metadata.name]);
    expect(sizes(plan.update)).toEqual([99]);
    // The overflow (one endpoint) cannot fit there: a small new slice, not a rewrite of `a`.
    const more = [...wanted, ...range(400, 402).map((i) => ep(i))];
    const plan2 = reconcileSlices(desire(more), [a, b]);
    expect(sizes(plan2.update)).toEqual([100]);
    expect(sizes(plan2.create)).toEqual([1]);
  });

  it('reuses a slice that would be deleted instead of creating another', () => {
    const old = slice([ep(1)], [{ name: 'http', port: 80, protocol: 'TCP' }]);
    // The target port moved: the endpoints now serve another port list.
    const plan = reconcileSlices(desire([ep(1)]), [old]);
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.update).toHaveLength(1);
    expect(plan.update[0].metadata).toMatchObject({
      name: old.metadata.name,
      resourceVersion: old.metadata.resourceVersion,
    });
    expect(plan.update[0].ports).toEqual(HTTP);
  });

  it('keeps one empty placeholder when there are no endpoints, and fills it later', () => {
    const plan = reconcileSlices(desire([]), []);
    expect(plan.create).toHaveLength(1);
    expect(plan.create[0]).toMatchObject({ endpoints: [], ports: [] });
    const placeholder = slice([], []);
    expect(reconcileSlices(desire([]), [placeholder])).toEqual({
      create: [],
      update: [],
      delete: [],
    });
    const filled = reconcileSlices(desire([ep(1)]), [placeholder]);
    expect(filled.create).toEqual([]);
    expect(filled.delete).toEqual([]);
    expect(filled.update[0].metadata.name).toBe(placeholder.metadata.name);
    expect(filled.update[0].endpoints).toHaveLength(1);
  });

  it('deletes slices of an earlier Service of the same name, and duplicates of an endpoint', () => {
    const stale = slice([ep(1)], HTTP, 'old-uid');
    const a = slice([ep(1), ep(2)]);
    const dup = slice([ep(2), ep(3)]);
    const plan = reconcileSlices(desire([ep(1), ep(2), ep(3)]), [stale, a, dup]);
    expect(plan.delete.map((s) => s.metadata.name)).toEqual([stale.metadata.name]);
    expect(plan.update.map((s) => s.metadata.name)).toEqual([dup.metadata.name]);
    expect(plan.update[0].endpoints?.map((e) => e.targetRef?.name)).toEqual(['p3']);
  });

  it('updates labels alone when the Service relabels', () => {
    const a = slice([ep(1)]);
    const d = desire([ep(1)]);
    d.labels = { ...labels, team: 'blue' };
    const plan = reconcileSlices(d, [a]);
    expect(plan.update).toHaveLength(1);
    expect(plan.update[0].metadata.labels).toEqual({ ...labels, team: 'blue' });
  });
});
