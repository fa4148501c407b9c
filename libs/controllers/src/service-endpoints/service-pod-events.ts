// The informer wiring both endpoint controllers share: a Service's key is queued when the Service
// changes and when a pod it selects (before or after the change) is added, changed or deleted.
import { findResource } from '@flotilla/api';
import {
  finalStateOf,
  NAMESPACE_INDEX,
  NODE_NAME_INDEX,
  byNamespace,
  podsByNodeName,
  objectKey,
  type HandlerRegistration,
  type Pod,
  type Service,
  type SharedInformer,
  type SharedInformerFactory,
} from '@flotilla/client';
import { selectsPod, serviceSelector } from './pod-endpoints';

export const SERVICES = findResource('', 'v1', 'services')!;
export const PODS = findResource('', 'v1', 'pods')!;
export const NODES = findResource('', 'v1', 'nodes')!;

export interface ServicePodInformers {
  services: SharedInformer<Service>;
  pods: SharedInformer<Pod>;
}

export function servicePodInformers(informers: SharedInformerFactory): ServicePodInformers {
  return {
    services: informers.informerFor<Service>(SERVICES, {
      indexers: { [NAMESPACE_INDEX]: byNamespace },
    }),
    pods: informers.informerFor<Pod>(PODS, {
      indexers: { [NAMESPACE_INDEX]: byNamespace, [NODE_NAME_INDEX]: podsByNodeName },
    }),
  };
}

/** The keys of the Services in the pod's namespace whose selector picks `pod`. */
export function servicesSelecting(services: SharedInformer<Service>, pod: Pod): string[] {
  const ns = pod.metadata.namespace ?? '';
  const out: string[] = [];
  for (const svc of services.lister.listInNamespace(ns)) {
    const selector = serviceSelector(svc);
    if (selector && selectsPod(selector, pod)) out.push(objectKey(svc));
  }
  return out;
}

/** Queues Service keys on Service and pod events; remove() the result when the run ends. */
export function queueServicesOnEvents(
  inf: ServicePodInformers,
  enqueue: (serviceKey: string) => void,
): HandlerRegistration[] {
  const forPod = (...pods: Pod[]) => {
    const keys = new Set<string>();
    for (const p of pods) for (const k of servicesSelecting(inf.services, p)) keys.add(k);
    for (const k of keys) enqueue(k);
  };
  return [
    inf.services.addEventHandler({
      onAdd: (s) => enqueue(objectKey(s)),
      onUpdate: (_old, s) => enqueue(objectKey(s)),
      onDelete: (d) => enqueue(objectKey(finalStateOf(d))),
    }),
    inf.pods.addEventHandler({
      onAdd: (p) => forPod(p),
      onUpdate: (old, p) => {
        if (old.metadata.resourceVersion === p.metadata.resourceVersion) return; // a resync
        forPod(old, p);
      },
      onDelete: (d) => forPod(finalStateOf(d)),
    }),
  ];
}

/** The keys of the Services selecting a pod bound to `nodeName`. */
export function servicesOnNode(inf: ServicePodInformers, nodeName: string): Set<string> {
  const keys = new Set<string>();
  for (const pod of inf.pods.lister.byIndex(NODE_NAME_INDEX, nodeName)) {
    for (const k of servicesSelecting(inf.services, pod)) keys.add(k);
  }
  return keys;
}
