// The EndpointSlice reconciler, pure: given a Service's desired endpoints (grouped by the port
// list they serve) and the slices it has, what to create, update and delete. It keeps churn low
// as Kubernetes' reconciler does: an endpoint stays in the slice it is in; new endpoints go first
// into slices that are being written anyway (fullest first), then into the one unchanged slice
// they fit in best, and only then into new slices; a slice that would be deleted while another is
// created is reused instead.
import { jsonEqual } from '@flotilla/api';
import type { discoveryV1, EndpointSlice, Service } from '@flotilla/client';

export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const ADDRESS_TYPE = 'IPv4';

export type Endpoint = discoveryV1.Endpoint;
export type EndpointPort = discoveryV1.EndpointPort;

/** Endpoints that serve one port list. */
export interface PortGroup {
  ports: EndpointPort[];
  endpoints: Endpoint[];
}

export interface SliceDesire {
  service: Service;
  /** By portKey(ports). */
  groups: Map<string, PortGroup>;
  /** The labels every slice of the Service carries. */
  labels: Record<string, string>;
  maxEndpointsPerSlice: number;
}

export interface SlicePlan {
  create: EndpointSlice[];
  /** With the resourceVersion of the slice they replace (the write's precondition). */
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

/** One key per distinct port list, whatever the order of its ports. */
export function portKey(ports: readonly EndpointPort[] | undefined | null): string {
  const norm = (ports ?? []).map((p) => [
    p.name ?? '',
    p.port ?? 0,
    p.protocol ?? 'TCP',
    p.appProtocol ?? '',
  ]);
  norm.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  return JSON.stringify(norm);
}

/** What makes an endpoint the same endpoint: its addresses, hostname and pod. */
export function endpointKey(ep: Endpoint): string {
  return JSON.stringify([
    [...ep.addresses].sort(),
    ep.hostname ?? '',
    ep.targetRef?.namespace ?? '',
    ep.targetRef?.name ?? '',
  ]);
}

export function ownedBy(slice: EndpointSlice, service: Service): boolean {
  return (slice.metadata.ownerReferences ?? []).some(
    (r) => r.controller === true && r.kind === 'Service' && r.uid === service.metadata.uid,
  );
}

function newSlice(desire: SliceDesire, ports: EndpointPort[]): EndpointSlice {
  const svc = desire.service;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata.name}-`,
      namespace: svc.metadata.namespace,
      labels: { ...desire.labels },
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'Service',
          name: svc.metadata.name!,
          uid: svc.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    addressType: ADDRESS_TYPE,
    endpoints: [],
    ports: ports.map((p) => ({ ...p })),
  };
}

/** A slice as it will be written: `base`'s identity with these endpoints and the desired labels. */
function rewritten(base: EndpointSlice, desire: SliceDesire, endpoints: Endpoint[]): EndpointSlice {
  return {
    ...base,
    metadata: { ...base.metadata, labels: { ...desire.labels } },
    endpoints,
  };
}

interface Working {
  slice: EndpointSlice;
  endpoints: Endpoint[];
}

/** Reconciles the slices of one port list; appends to `plan`. */
function reconcilePortGroup(
  desire: SliceDesire,
  ports: EndpointPort[],
  wanted: Endpoint[],
  existing: EndpointSlice[],
  plan: SlicePlan,
): void {
  const max = desire.maxEndpointsPerSlice;
  const left = new Map<string, Endpoint>();
  for (const ep of wanted) left.set(endpointKey(ep), ep);

  const toUpdate: Working[] = [];
  const unchanged: EndpointSlice[] = [];
  // 1. Every existing slice keeps the endpoints still wanted (as they are wanted now).
  for (const slice of existing) {
    const kept: Endpoint[] = [];
    let changed = false;
    for (const ep of slice.endpoints ?? []) {
      const key = endpointKey(ep);
      const want = left.get(key);
      if (!want) {
        changed = true; // gone, or listed twice
        continue;
      }
      if (!jsonEqual(want, ep)) changed = true;
      kept.push(want);
      left.delete(key);
    }
    const labelsChanged = !jsonEqual(slice.metadata.labels ?? {}, desire.labels);
    if (changed && kept.length === 0) plan.delete.push(slice);
    else if (changed || labelsChanged) toUpdate.push({ slice, endpoints: kept });
    else unchanged.push(slice);
  }

  // 2. New endpoints first fill the slices being written anyway, fullest first.
  if (left.size > 0 && toUpdate.length > 0) {
    toUpdate.sort((a, b) => b.endpoints.length - a.endpoints.length);
    for (const w of toUpdate) {
      for (const [key, ep] of left) {
        if (w.endpoints.length >= max) break;
        w.endpoints.push(ep);
        left.delete(key);
      }
    }
  }

  // 3. Then the unchanged slice they fit in best (all of them at once), else new slices.
  const creates: Working[] = [];
  while (left.size > 0) {
    let fill: Working | undefined;
    if (left.size < max && unchanged.length > 0) {
      const slice = closestToFull(unchanged, left.size, max);
      if (slice) {
        unchanged.splice(unchanged.indexOf(slice), 1);
        fill = { slice, endpoints: [...(slice.endpoints ?? [])] };
        toUpdate.push(fill);
      }
    }
    if (!fill) {
      fill = { slice: newSlice(desire, ports), endpoints: [] };
      creates.push(fill);
    }
    for (const [key, ep] of left) {
      if (fill.endpoints.length >= max) break;
      fill.endpoints.push(ep);
      left.delete(key);
    }
  }

  for (const w of toUpdate) plan.update.push(rewritten(w.slice, desire, w.endpoints));
  for (const w of creates) plan.create.push(rewritten(w.slice, desire, w.endpoints));
}

/** The unchanged slice that is fullest once `n` endpoints are added, if any has room for them. */
function closestToFull(slices: EndpointSlice[], n: number, max: number): EndpointSlice | undefined {
  let best: EndpointSlice | undefined;
  for (const s of slices) {
    const len = s.endpoints?.length ?? 0;
    if (len + n > max) continue;
    if (!best || len > (best.endpoints?.length ?? 0)) best = s;
  }
  return best;
}

/**
 * The writes that bring `existing` (the slices this controller manages for the Service) to what
 * `desire` says. A Service with no endpoints keeps one empty placeholder slice, so that readers
 * can tell "no endpoints" from "not yet computed".
 */
export function reconcileSlices(desire: SliceDesire, existing: EndpointSlice[]): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const byPorts = new Map<string, EndpointSlice[]>();
  for (const slice of existing) {
    // Slices of another address type, or of an earlier Service of the same name, go.
    if (slice.addressType !== ADDRESS_TYPE || !ownedBy(slice, desire.service)) {
      plan.delete.push(slice);
      continue;
    }
    const key = portKey(slice.ports);
    const list = byPorts.get(key) ?? [];
    list.push(slice);
    byPorts.set(key, list);
  }
  for (const [key, group] of desire.groups) {
    reconcilePortGroup(desire, group.ports, group.endpoints, byPorts.get(key) ?? [], plan);
    byPorts.delete(key);
  }
  for (const slices of byPorts.values()) plan.delete.push(...slices);

  const owned = existing.filter(
    (s) => s.addressType === ADDRESS_TYPE && ownedBy(s, desire.service),
  );
  if (plan.create.length === 0 && existing.length === plan.delete.length) {
    // Nothing would be left: keep (or make) the placeholder.
    const placeholder = owned.find(
      (s) => (s.endpoints ?? []).length === 0 && (s.ports ?? []).length === 0,
    );
    if (placeholder) {
      plan.delete.splice(plan.delete.indexOf(placeholder), 1);
      if (!jsonEqual(placeholder.metadata.labels ?? {}, desire.labels)) {
        plan.update.push(rewritten(placeholder, desire, []));
      }
    } else {
      plan.create.push(newSlice(desire, []));
    }
  }

  // Creating one slice while deleting another: write the new content over the old one instead.
  for (let i = 0; i < plan.delete.length && plan.create.length > 0;) {
    const old = plan.delete[i];
    if (old.addressType === ADDRESS_TYPE && ownedBy(old, desire.service)) {
      const fresh = plan.create.pop()!;
      plan.update.push({
        ...fresh,
        metadata: {
          ...fresh.metadata,
          name: old.metadata.name,
          generateName: old.metadata.generateName,
          resourceVersion: old.metadata.resourceVersion,
          uid: old.metadata.uid,
        },
      });
      plan.delete.splice(i, 1);
    } else {
      i++;
    }
  }
  return plan;
}
