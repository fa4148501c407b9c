// The Services and EndpointSlices the proxy knows, fed by informer events, and which Services
// changed since the last sync. An update that changes nothing the proxy reads (a label, a status
// the proxy ignores) marks nothing.
import type { EndpointSlice, Service } from './api-types';
import { serviceKey, sliceServiceKey } from './api-types';

export class ServiceTracker {
  private readonly services = new Map<string, Service>();
  private readonly slices = new Map<string, Map<string, EndpointSlice>>();
  private dirty = new Set<string>();
  /** Events since the last sync, for the *_changes_pending gauges. */
  pendingServiceChanges = 0;
  pendingEndpointChanges = 0;

  /** True when the change needs a sync. */
  upsertService(svc: Service): boolean {
    const key = serviceKey(svc);
    const before = this.services.get(key);
    this.services.set(key, svc);
    if (before && proxyView(before) === proxyView(svc)) return false;
    this.pendingServiceChanges++;
    this.dirty.add(key);
    return true;
  }

  deleteService(svc: Service): boolean {
    const key = serviceKey(svc);
    if (!this.services.delete(key)) return false;
    this.pendingServiceChanges++;
    this.dirty.add(key);
    return true;
  }

  upsertSlice(slice: EndpointSlice): boolean {
    const key = sliceServiceKey(slice);
    if (!key) return false;
    let byName = this.slices.get(key);
    if (!byName) this.slices.set(key, (byName = new Map()));
    const name = slice.metadata.name ?? '';
    const before = byName.get(name);
    byName.set(name, slice);
    if (before && sliceView(before) === sliceView(slice)) return false;
    this.pendingEndpointChanges++;
    this.dirty.add(key);
    return true;
  }

  deleteSlice(slice: EndpointSlice): boolean {
    const key = sliceServiceKey(slice);
    const byName = key ? this.slices.get(key) : undefined;
    if (!key || !byName?.delete(slice.metadata.name ?? '')) return false;
    if (byName.size === 0) this.slices.delete(key);
    this.pendingEndpointChanges++;
    this.dirty.add(key);
    return true;
  }

  service(key: string): Service | undefined {
    return this.services.get(key);
  }

  slicesOf(key: string): EndpointSlice[] {
    return [...(this.slices.get(key)?.values() ?? [])];
  }

  serviceKeys(): IterableIterator<string> {
    return this.services.keys();
  }

  allServices(): IterableIterator<Service> {
    return this.services.values();
  }

  /** The Services changed since the last call, and resets the pending counts. */
  takeChanges(): { dirty: Set<string>; serviceChanges: number; endpointChanges: number } {
    const out = {
      dirty: this.dirty,
      serviceChanges: this.pendingServiceChanges,
      endpointChanges: this.pendingEndpointChanges,
    };
    this.dirty = new Set();
    this.pendingServiceChanges = 0;
    this.pendingEndpointChanges = 0;
    return out;
  }

  /** Puts changes back after a sync that did not happen (so they are not lost). */
  restoreDirty(keys: Iterable<string>): void {
    for (const key of keys) this.dirty.add(key);
  }
}

function proxyView(svc: Service): string {
  return JSON.stringify([svc.spec ?? null, svc.status?.loadBalancer ?? null]);
}

function sliceView(slice: EndpointSlice): string {
  return JSON.stringify([slice.addressType, slice.endpoints ?? null, slice.ports ?? null]);
}
