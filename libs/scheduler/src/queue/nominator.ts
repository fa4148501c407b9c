// Pods nominated to a node: preemption promised them the room it is freeing there, so other pods
// of lower priority are filtered as if they already ran on it. A pod's nomination comes from its
// status.nominatedNodeName, or from this scheduler's own decision before that status is written.
import type { PodInfo } from '../framework/pod-info';

const NONE: readonly PodInfo[] = Object.freeze([]);

export class Nominator {
  private readonly byNode = new Map<string, PodInfo[]>();
  private readonly nodeOf = new Map<string, string>();

  /** Nominates `pod` to `nodeName` ('' or undefined: the pod's status decides; none: removed). */
  add(pod: PodInfo, nodeName?: string): void {
    this.delete(pod.key);
    const node = nodeName || pod.pod.status?.nominatedNodeName;
    if (!node) return;
    this.nodeOf.set(pod.key, node);
    let list = this.byNode.get(node);
    if (!list) this.byNode.set(node, (list = []));
    list.push(pod);
  }

  /** Keeps a pod's nomination across an update (a newer object, the same or a new node). */
  update(pod: PodInfo): void {
    const node = pod.pod.status?.nominatedNodeName || this.nodeOf.get(pod.key);
    this.add(pod, node);
  }

  delete(key: string): void {
    const node = this.nodeOf.get(key);
    if (node === undefined) return;
    this.nodeOf.delete(key);
    const list = this.byNode.get(node);
    if (!list) return;
    const i = list.findIndex((p) => p.key === key);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byNode.delete(node);
  }

  forNode(nodeName: string): readonly PodInfo[] {
    return this.byNode.get(nodeName) ?? NONE;
  }

  nodeFor(key: string): string | undefined {
    return this.nodeOf.get(key);
  }

  get size(): number {
    return this.nodeOf.size;
  }
}
