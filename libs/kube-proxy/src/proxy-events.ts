// kube-proxy's events: a Service or EndpointSlice left out of the table is a Warning about that
// object, a transaction the kernel refused is a Warning about the Node. Written through
// libs/client's recorder, which turns repeats into a series. A problem both IP families see (a
// dual-stack node runs two proxies) is one event, written when the first family sees it.
import type { EventRecorder, ObjectReference } from '@flotilla/client';
import type { EndpointSlice, Service } from './api-types';
import type { IPFamily } from './ip';
import { type InputProblem, problemId } from './problems';
import type { ProxyReporter, SyncFailure } from './proxier';

export const KUBE_PROXY_REPORTING_CONTROLLER = 'kube-proxy';

/** The action of every kube-proxy event: what upstream's proxier names its sync. */
export const SYNC_PROXY_RULES_ACTION = 'SyncProxyRules';

/** Event reasons, in upstream's KubeProxy… style (it has KubeProxyIncorrectIPVersion). */
export const KUBE_PROXY_EVENT_REASONS = Object.freeze({
  invalidService: 'KubeProxyInvalidService',
  serviceConflict: 'KubeProxyServiceConflict',
  invalidEndpointSlice: 'KubeProxyInvalidEndpointSlice',
  syncFailed: 'KubeProxySyncFailed',
});

/** The API server's limit on an events.k8s.io note. */
const NOTE_LIMIT = 1024;

export function problemEventReason(p: InputProblem): string {
  const r = KUBE_PROXY_EVENT_REASONS;
  if (p.kind === 'EndpointSlice') return r.invalidEndpointSlice;
  return p.reason === 'Conflict' ? r.serviceConflict : r.invalidService;
}

/** What an event about `p` regards: the object as the proxy saw it, or its name alone. */
export function problemRegarding(
  p: InputProblem,
  object: Service | EndpointSlice | undefined,
): ObjectReference {
  const ref: ObjectReference = {
    apiVersion: p.kind === 'Service' ? 'v1' : 'discovery.k8s.io/v1',
    kind: p.kind,
    namespace: p.namespace,
    name: p.name,
  };
  const { uid, resourceVersion } = object?.metadata ?? {};
  if (uid) ref.uid = uid;
  if (resourceVersion) ref.resourceVersion = resourceVersion;
  return ref;
}

export class ProxyEvents implements ProxyReporter {
  /** Problems being reported → the families that see them. */
  private readonly active = new Map<string, Set<IPFamily>>();

  constructor(
    private readonly recorder: EventRecorder,
    /** This node as an event regards it (its uid once the Node has been seen). */
    private readonly node: () => ObjectReference,
  ) {}

  problem(p: InputProblem, family: IPFamily, object: Service | EndpointSlice | undefined): void {
    const id = problemId(p);
    let families = this.active.get(id);
    if (!families) this.active.set(id, (families = new Set()));
    const first = families.size === 0;
    families.add(family);
    if (!first) return;
    this.recorder.eventf(
      problemRegarding(p, object),
      undefined,
      'Warning',
      problemEventReason(p),
      SYNC_PROXY_RULES_ACTION,
      clip(`left out of the ${family} ruleset: ${p.message}`),
    );
  }

  problemResolved(p: InputProblem, family: IPFamily): void {
    const id = problemId(p);
    const families = this.active.get(id);
    families?.delete(family);
    if (families?.size === 0) this.active.delete(id);
  }

  syncFailed(f: SyncFailure): void {
    this.recorder.eventf(
      this.node(),
      undefined,
      'Warning',
      KUBE_PROXY_EVENT_REASONS.syncFailed,
      SYNC_PROXY_RULES_ACTION,
      clip(
        `${f.full ? 'full' : 'partial'} ${f.family} nftables sync failed, the last good ruleset ` +
          `stays and the sync is retried: ${f.message}`,
      ),
    );
  }

  syncRecovered(): void {
    // Logged by the proxier; a Warning series that stops growing says the rest.
  }
}

function clip(note: string): string {
  const bytes = Buffer.from(note);
  if (bytes.length <= NOTE_LIMIT) return note;
  // A cut inside a character decodes to one replacement character: still under the limit.
  return `${bytes.subarray(0, NOTE_LIMIT - 16).toString()} (cut)`;
}

/** The Node as kube-proxy's events regard it. */
export function nodeReference(name: string, uid?: string): ObjectReference {
  return { apiVersion: 'v1', kind: 'Node', name, ...(uid ? { uid } : {}) };
}
