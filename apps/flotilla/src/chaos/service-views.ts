// EndpointSlices as the ServiceTracker sees them: one view per Service, its slices merged.
import type { EndpointSlice, KubeClient } from '@flotilla/client';
import type { ServiceView } from './service-tracker';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function serviceViews(slices: readonly EndpointSlice[]): ServiceView[] {
  const views = new Map<string, ServiceView>();
  for (const slice of slices) {
    const owner = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!owner) continue;
    const service = `${slice.metadata?.namespace ?? 'default'}/${owner}`;
    const view = views.get(service) ?? { service, endpoints: [] };
    views.set(service, view);
    const port = slice.ports?.[0]?.port;
    for (const e of slice.endpoints ?? []) {
      const address = e.addresses?.[0] ?? '?';
      view.endpoints.push({
        id: e.targetRef?.name ?? (port === undefined ? address : `${address}:${port}`),
        // As kube-proxy reads it: ready unless it says otherwise, and not on its way out.
        ready: e.conditions?.ready !== false && e.conditions?.terminating !== true,
        ...(e.nodeName ? { node: e.nodeName } : {}),
      });
    }
  }
  return [...views.values()].sort((a, b) => a.service.localeCompare(b.service));
}

export async function lookAtServices(client: KubeClient): Promise<ServiceView[]> {
  const list = await client.endpointSlices().listAll();
  return serviceViews(list.items as EndpointSlice[]);
}
