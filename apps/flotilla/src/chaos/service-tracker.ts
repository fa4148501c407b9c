// Services converging after a fault: from successive looks at the EndpointSlices, when each
// Service lost ready endpoints (those of pods on a failed node, or of a master gone from the
// kubernetes Service) and when it was whole again. Pure: views and times in, lines out.
import type { TimelineEvent } from './failover-tracker';

export interface EndpointView {
  /** The pod it stands for, else address:port (the kubernetes Service lists masters). */
  id: string;
  ready: boolean;
  node?: string;
}

export interface ServiceView {
  /** namespace/name */
  service: string;
  /** Every endpoint of every slice of the Service. */
  endpoints: EndpointView[];
}

export class ServiceTracker {
  /** Ready endpoints of each Service at the fault, and how many of them were on the failed node. */
  private readonly atFault = new Map<string, { ready: number; onNode: number; ids: Set<string> }>();
  private readonly degraded = new Set<string>();
  private readonly everDegraded = new Set<string>();
  private readonly droppedFromNode = new Set<string>();

  constructor(
    services: readonly ServiceView[],
    /** The worker that failed, when one did. */
    private readonly failedNode?: string,
  ) {
    for (const s of services) {
      const ready = s.endpoints.filter((e) => e.ready);
      if (ready.length === 0) continue;
      this.atFault.set(s.service, {
        ready: ready.length,
        onNode: ready.filter((e) => failedNode !== undefined && e.node === failedNode).length,
        ids: new Set(ready.map((e) => e.id)),
      });
    }
  }

  /** The Services with pods on the failed node at the fault: those whose endpoints must move. */
  get affected(): string[] {
    return [...this.atFault].filter(([, f]) => f.onNode > 0).map(([s]) => s);
  }

  observe(services: readonly ServiceView[], atMs: number): TimelineEvent[] {
    const events: TimelineEvent[] = [];
    const at = (text: string) => events.push({ atMs, kind: 'service', text });
    const byName = new Map(services.map((s) => [s.service, s]));
    for (const [name, fault] of this.atFault) {
      const ready = (byName.get(name)?.endpoints ?? []).filter((e) => e.ready);
      const count = `${ready.length} of ${fault.ready} endpoints ready${placed(ready)}`;
      const onNode = ready.filter((e) => e.node === this.failedNode).length;
      const short = ready.length < fault.ready;
      if (fault.onNode > 0 && onNode === 0 && !this.droppedFromNode.has(name)) {
        this.droppedFromNode.add(name);
        at(`Service ${name}: the endpoints on ${this.failedNode} dropped (${count})`);
        if (short) this.markDegraded(name);
      } else if (short && !this.degraded.has(name)) {
        this.markDegraded(name);
        const gone = [...fault.ids].filter((id) => !ready.some((e) => e.id === id));
        at(`Service ${name}: ${count}; not ready or gone: ${gone.join(', ')}`);
      }
      if (!short && this.degraded.has(name)) {
        this.degraded.delete(name);
        at(`Service ${name} whole again: ${count}`);
      }
    }
    return events;
  }

  private markDegraded(name: string): void {
    this.degraded.add(name);
    this.everDegraded.add(name);
  }

  /** Services short of the ready endpoints they had at the fault (as last seen). */
  notWhole(): string[] {
    return [...this.degraded];
  }

  /** Services that never lost a ready endpoint, with how many they kept. */
  stayedWhole(): string[] {
    return [...this.atFault]
      .filter(([s]) => !this.everDegraded.has(s) && !this.droppedFromNode.has(s))
      .map(([s, f]) => `${s} (${f.ready})`);
  }
}

/** ` (w1: 2, w2: 1)`: where the ready endpoints run, when they say. */
function placed(ready: readonly EndpointView[]): string {
  const perNode = new Map<string, number>();
  for (const e of ready) if (e.node) perNode.set(e.node, (perNode.get(e.node) ?? 0) + 1);
  if (perNode.size === 0) return '';
  const parts = [...perNode].sort(([a], [b]) => a.localeCompare(b)).map(([n, c]) => `${n}: ${c}`);
  return ` (${parts.join(', ')})`;
}
