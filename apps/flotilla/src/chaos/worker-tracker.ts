// Turns successive looks at nodes and pods into what a user wants to see after a worker fails:
// the node going NotReady and tainted, its pods evicted, replacements scheduled elsewhere and
// becoming Ready, the node coming back. Pure: views and times in, lines out.
import type { TimelineEvent, TimelineKind } from './failover-tracker';

export interface NodeView {
  name: string;
  /** The Ready condition's status: True, False or Unknown. */
  ready: string;
  /** key:effect of each taint. */
  taints: string[];
}

export interface PodView {
  namespace: string;
  name: string;
  node?: string;
  ready: boolean;
  /** Has a deletionTimestamp. */
  deleting: boolean;
  /** Made by a controller (a ReplicaSet, ...), so something makes it again elsewhere. */
  owned: boolean;
  /**
   * The uid of that controller: replacements are counted per controller, so pods other
   * controllers start meanwhile on the other nodes are not taken for them.
   */
  owner?: string;
  /** How long it stays on an unreachable node before eviction. */
  tolerationSeconds?: number;
}

const key = (p: Pick<PodView, 'namespace' | 'name'>) => `${p.namespace}/${p.name}`;

export class WorkerFailoverTracker {
  private readonly nodeReady = new Map<string, string>();
  private readonly nodeTaints = new Map<string, Set<string>>();
  /** The target's controller-made pods at the fault: they must go and come back elsewhere. */
  private readonly stranded: Set<string>;
  /** The controllers of the stranded pods: only their pods elsewhere can replace them. */
  private readonly owners: Set<string | undefined>;
  private readonly gone = new Set<string>();
  private readonly known: Set<string>;
  private readonly scheduled = new Set<string>();
  private readonly readyElsewhere = new Set<string>();
  /** Ready controller-made pods on the other nodes at the fault. */
  private readonly readyOthersBefore: number;
  private readyOthersNow: number;

  constructor(
    readonly target: string,
    nodes: readonly NodeView[],
    pods: readonly PodView[],
  ) {
    for (const n of nodes) {
      this.nodeReady.set(n.name, n.ready);
      this.nodeTaints.set(n.name, new Set(n.taints));
    }
    this.stranded = new Set(
      pods.filter((p) => p.node === target && p.owned && !p.deleting).map(key),
    );
    this.owners = new Set(pods.filter((p) => this.stranded.has(key(p))).map((p) => p.owner));
    this.known = new Set(pods.map(key));
    this.readyOthersBefore = pods.filter(
      (p) => this.replaces(p) && p.ready && !p.deleting && p.node !== target,
    ).length;
    this.readyOthersNow = this.readyOthersBefore;
  }

  /** Pods of the target that replacements must make up for. */
  get strandedCount(): number {
    return this.stranded.size;
  }

  observe(nodes: readonly NodeView[], pods: readonly PodView[], atMs: number): TimelineEvent[] {
    const events: TimelineEvent[] = [];
    const at = (kind: TimelineKind, text: string) => events.push({ atMs, kind, text });

    for (const n of nodes) {
      const was = this.nodeReady.get(n.name);
      if (was !== n.ready) {
        if (n.ready !== 'True') at('node', `node ${n.name} NotReady (Ready=${n.ready})`);
        else if (was !== undefined) at('node', `node ${n.name} Ready again`);
        this.nodeReady.set(n.name, n.ready);
      }
      const before = this.nodeTaints.get(n.name) ?? new Set<string>();
      for (const t of n.taints) if (!before.has(t)) at('node', `node ${n.name} tainted ${t}`);
      for (const t of before)
        if (!n.taints.includes(t)) at('node', `node ${n.name} untainted ${t}`);
      this.nodeTaints.set(n.name, new Set(n.taints));
    }

    const byKey = new Map(pods.map((p) => [key(p), p]));
    for (const k of this.stranded) {
      if (this.gone.has(k)) continue;
      const p = byKey.get(k);
      if (!p || p.deleting) {
        this.gone.add(k);
        at('pod', `pod ${k} evicted from ${this.target} (${p ? 'Terminating' : 'deleted'})`);
      }
    }
    for (const p of pods) {
      const k = key(p);
      if (this.known.has(k) || !this.replaces(p) || !p.node || p.node === this.target) continue;
      if (!this.scheduled.has(k)) {
        this.scheduled.add(k);
        at('pod', `pod ${k} scheduled on ${p.node}`);
      }
      if (p.ready && !p.deleting && !this.readyElsewhere.has(k)) {
        this.readyElsewhere.add(k);
        at('pod', `pod ${k} Running and Ready on ${p.node}`);
      }
    }
    this.readyOthersNow = pods.filter(
      (p) =>
        this.replaces(p) &&
        p.ready &&
        !p.deleting &&
        p.node !== undefined &&
        p.node !== this.target,
    ).length;
    return events;
  }

  private replaces(p: PodView): boolean {
    return p.owned && this.owners.has(p.owner);
  }

  /** Every stranded pod was evicted and as many ready pods run on the other nodes as ran in all. */
  missing(): string[] {
    const missing: string[] = [];
    if (this.nodeReady.get(this.target) === 'True') missing.push(`node ${this.target} NotReady`);
    const left = this.stranded.size - this.gone.size;
    if (left > 0) missing.push(`${left} pod(s) evicted from ${this.target}`);
    const wanted = this.readyOthersBefore + this.stranded.size;
    if (this.readyOthersNow < wanted)
      missing.push(`${wanted - this.readyOthersNow} replacement pod(s) Ready on other nodes`);
    return missing;
  }
}
