// The scheduler's view of the cluster: nodes and the pods on them. A pod placed by this scheduler
// is *assumed* on its node at once, so the next pod is scheduled against it while its binding is
// still on the way to the API server; a failed binding *forgets* it, and the watch *confirms* it
// when the bound pod comes back. Plugins read it as the ClusterSnapshot.
import type { Node, Pod } from '../api/types';
import { LABEL_REGION, LABEL_ZONE } from '../api/types';
import type { ClusterSnapshot } from '../framework/interfaces';
import { NodeInfo } from '../framework/node-info';
import { PodInfo, podKey } from '../framework/pod-info';

interface PodState {
  info: PodInfo;
  nodeName: string;
  assumed: boolean;
  bindingFinished: boolean;
}

export class CacheError extends Error {}

function zoneOf(node: Node): string {
  const labels = node.metadata.labels ?? {};
  return `${labels[LABEL_REGION] ?? ''}:\u0000:${labels[LABEL_ZONE] ?? ''}`;
}

export class SchedulerCache implements ClusterSnapshot {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly pods = new Map<string, PodState>();
  private readonly imageNodes = new Map<string, Set<string>>();
  private order: NodeInfo[] | undefined;
  private affinityList: NodeInfo[] | undefined;
  private antiAffinityList: NodeInfo[] | undefined;

  // ---- ClusterSnapshot --------------------------------------------------------------------------

  nodeInfos(): readonly NodeInfo[] {
    if (!this.order) this.order = this.interleaveZones();
    return this.order;
  }

  get(nodeName: string): NodeInfo | undefined {
    const n = this.nodes.get(nodeName);
    return n?.node ? n : undefined;
  }

  nodesWithAffinityPods(): readonly NodeInfo[] {
    this.affinityList ??= this.nodeInfos().filter((n) => n.podsWithAffinity.length > 0);
    return this.affinityList;
  }

  nodesWithRequiredAntiAffinityPods(): readonly NodeInfo[] {
    this.antiAffinityList ??= this.nodeInfos().filter(
      (n) => n.podsWithRequiredAntiAffinity.length > 0,
    );
    return this.antiAffinityList;
  }

  imageNodeCount(image: string): number {
    return this.imageNodes.get(image)?.size ?? 0;
  }

  // ---- nodes ------------------------------------------------------------------------------------

  get nodeCount(): number {
    return this.nodeInfos().length;
  }

  addNode(node: Node): void {
    const name = node.metadata.name ?? '';
    let info = this.nodes.get(name);
    const before = info?.node;
    if (!info) this.nodes.set(name, (info = new NodeInfo(name)));
    if (before) this.dropImages(before);
    info.setNode(node);
    this.addImages(node);
    if (!before || zoneOf(before) !== zoneOf(node)) this.order = undefined;
    this.affinityList = this.antiAffinityList = undefined;
  }

  updateNode(node: Node): void {
    this.addNode(node);
  }

  removeNode(node: Node): void {
    const name = node.metadata.name ?? '';
    const info = this.nodes.get(name);
    if (!info) return;
    if (info.node) this.dropImages(info.node);
    // Pods still listed on a deleted node stay accounted until their own deletes arrive.
    if (info.pods.length === 0) this.nodes.delete(name);
    else info.node = undefined;
    this.order = undefined;
    this.affinityList = this.antiAffinityList = undefined;
  }

  // ---- pods -------------------------------------------------------------------------------------

  get podCount(): number {
    return this.pods.size;
  }

  isAssumed(key: string): boolean {
    return this.pods.get(key)?.assumed ?? false;
  }

  /** The pod as cached (assumed or bound), and its node. */
  podState(key: string): { pod: Pod; nodeName: string; assumed: boolean } | undefined {
    const s = this.pods.get(key);
    return s && { pod: s.info.pod, nodeName: s.nodeName, assumed: s.assumed };
  }

  /** Places a pod this scheduler just chose a node for (pod.spec.nodeName set). */
  assumePod(info: PodInfo): void {
    const key = info.key;
    if (this.pods.has(key)) throw new CacheError(`pod ${key} is in the cache, so can't be assumed`);
    const nodeName = info.pod.spec?.nodeName ?? '';
    this.place(info, nodeName);
    this.pods.set(key, { info, nodeName, assumed: true, bindingFinished: false });
  }

  finishBinding(key: string): void {
    const s = this.pods.get(key);
    if (s?.assumed) s.bindingFinished = true;
  }

  /** Takes back an assumed pod (its binding failed). */
  forgetPod(key: string): void {
    const s = this.pods.get(key);
    if (!s || !s.assumed) return;
    this.unplace(s.info, s.nodeName);
    this.pods.delete(key);
  }

  /** A bound pod seen by the watch: confirms an assumed one, or adds it. */
  addPod(pod: Pod): void {
    const key = podKey(pod);
    const nodeName = pod.spec?.nodeName ?? '';
    const s = this.pods.get(key);
    if (s) {
      // Confirmed (or re-listed): the API's object replaces ours, on the node the API says.
      this.unplace(s.info, s.nodeName);
    }
    const info = new PodInfo(pod);
    this.place(info, nodeName);
    this.pods.set(key, { info, nodeName, assumed: false, bindingFinished: true });
  }

  updatePod(pod: Pod): void {
    this.addPod(pod);
  }

  removePod(pod: Pod): void {
    const key = podKey(pod);
    const s = this.pods.get(key);
    if (!s) return;
    this.unplace(s.info, s.nodeName);
    this.pods.delete(key);
  }

  private place(info: PodInfo, nodeName: string): void {
    let n = this.nodes.get(nodeName);
    if (!n) this.nodes.set(nodeName, (n = new NodeInfo(nodeName)));
    n.addPod(info);
    if (info.hasAffinity) this.affinityList = undefined;
    if (info.hasRequiredAntiAffinity) this.antiAffinityList = undefined;
  }

  private unplace(info: PodInfo, nodeName: string): void {
    const n = this.nodes.get(nodeName);
    if (!n) return;
    n.removePod(info.key);
    if (info.hasAffinity) this.affinityList = undefined;
    if (info.hasRequiredAntiAffinity) this.antiAffinityList = undefined;
    if (!n.node && n.pods.length === 0) this.nodes.delete(nodeName);
  }

  private addImages(node: Node): void {
    const name = node.metadata.name ?? '';
    for (const image of node.status?.images ?? [])
      for (const n of image.names ?? []) {
        let set = this.imageNodes.get(n);
        if (!set) this.imageNodes.set(n, (set = new Set()));
        set.add(name);
      }
  }

  private dropImages(node: Node): void {
    const name = node.metadata.name ?? '';
    for (const image of node.status?.images ?? [])
      for (const n of image.names ?? []) {
        const set = this.imageNodes.get(n);
        set?.delete(name);
        if (set?.size === 0) this.imageNodes.delete(n);
      }
  }

  /** Nodes taken one zone at a time, round robin (kube-scheduler's node tree). */
  private interleaveZones(): NodeInfo[] {
    const zones = new Map<string, NodeInfo[]>();
    for (const info of this.nodes.values()) {
      if (!info.node) continue;
      const z = zoneOf(info.node);
      let list = zones.get(z);
      if (!list) zones.set(z, (list = []));
      list.push(info);
    }
    if (zones.size <= 1) return [...(zones.values().next().value ?? [])];
    const lists = [...zones.values()];
    const out: NodeInfo[] = [];
    for (let i = 0; out.length < this.countNodes(lists); i++)
      for (const l of lists) if (i < l.length) out.push(l[i]);
    return out;
  }

  private countNodes(lists: NodeInfo[][]): number {
    let n = 0;
    for (const l of lists) n += l.length;
    return n;
  }
}
