// The garbage collector's picture of ownership (kube's GraphBuilder): one node per object uid,
// with edges from owners to dependents taken from metadata.ownerReferences. An owner referenced
// before it has been observed is a "virtual" node until an informer reports it (or a lookup finds
// it absent). Changes come in from the informers one at a time; what they imply for the garbage
// collector's two queues is returned as work: objects to check for deletion, owners to orphan
// from.
import type { KubeObject, OwnerReference } from '@flotilla/api';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from './finalizers';

export interface Identity {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid: string;
}

export class GraphNode {
  owners: OwnerReference[] = [];
  readonly dependents = new Set<GraphNode>();
  /** Known only as somebody's owner so far. */
  virtual = true;
  beingDeleted = false;
  /** Being deleted in the foreground: waits for its blocking dependents to go. */
  deletingDependents = false;

  constructor(public identity: Identity) {}

  /** Dependents whose reference to this node has blockOwnerDeletion. */
  blockingDependents(): GraphNode[] {
    return [...this.dependents].filter((d) =>
      d.owners.some((o) => o.uid === this.identity.uid && o.blockOwnerDeletion === true),
    );
  }
}

export interface Work {
  attemptToDelete: GraphNode[];
  attemptToOrphan: GraphNode[];
}

const hasFinalizer = (o: KubeObject | undefined, f: string) =>
  !!o?.metadata.finalizers?.includes(f);
const deleting = (o: KubeObject | undefined) => !!o?.metadata.deletionTimestamp;

export class OwnershipGraph {
  private readonly nodes = new Map<string, GraphNode>();

  get size(): number {
    return this.nodes.size;
  }

  node(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  /** An object was added or changed (`old`: its previous state, if known). */
  observe(identity: Identity, obj: KubeObject, old: KubeObject | undefined): Work {
    const work: Work = { attemptToDelete: [], attemptToOrphan: [] };
    const owners = obj.metadata.ownerReferences ?? [];
    let node = this.nodes.get(identity.uid);
    if (!node) {
      node = new GraphNode(identity);
      this.nodes.set(identity.uid, node);
      this.addOwners(node, owners, work);
    } else {
      node.identity = identity;
      node.virtual = false;
      const before = node.owners;
      const removed = before.filter((b) => !owners.some((o) => o.uid === b.uid));
      const added = owners.filter((o) => !before.some((b) => b.uid === o.uid));
      const unblocked = owners.filter((o) =>
        before.some(
          (b) => b.uid === o.uid && b.blockOwnerDeletion === true && o.blockOwnerDeletion !== true,
        ),
      );
      for (const ref of removed) this.nodes.get(ref.uid)?.dependents.delete(node);
      this.addOwners(node, added, work);
      // An owner waiting in the foreground may no longer have to wait for this one.
      for (const ref of [...removed, ...unblocked]) {
        const owner = this.nodes.get(ref.uid);
        if (owner?.deletingDependents) work.attemptToDelete.push(owner);
      }
    }
    node.virtual = false;
    node.owners = owners;
    node.beingDeleted = deleting(obj);
    if (
      deleting(obj) &&
      hasFinalizer(obj, ORPHAN_FINALIZER) &&
      !(deleting(old) && hasFinalizer(old, ORPHAN_FINALIZER))
    )
      work.attemptToOrphan.push(node);
    if (deleting(obj) && hasFinalizer(obj, FOREGROUND_FINALIZER)) {
      const starts =
        !(deleting(old) && hasFinalizer(old, FOREGROUND_FINALIZER)) || !node.deletingDependents;
      node.deletingDependents = true;
      if (starts) {
        work.attemptToDelete.push(...node.dependents);
        work.attemptToDelete.push(node);
      }
    } else {
      node.deletingDependents = false;
    }
    return work;
  }

  /**
   * An object is gone (deleted, or a lookup found it absent): its node goes; its dependents have
   * lost an owner, and an owner of it waiting in the foreground may now be free.
   */
  remove(uid: string): Work {
    const work: Work = { attemptToDelete: [], attemptToOrphan: [] };
    const node = this.nodes.get(uid);
    if (!node) return work;
    this.nodes.delete(uid);
    for (const ref of node.owners) {
      const owner = this.nodes.get(ref.uid);
      if (!owner) continue;
      owner.dependents.delete(node);
      if (owner.deletingDependents) work.attemptToDelete.push(owner);
    }
    work.attemptToDelete.push(...node.dependents);
    return work;
  }

  private addOwners(node: GraphNode, owners: OwnerReference[], work: Work): void {
    for (const ref of owners) {
      let owner = this.nodes.get(ref.uid);
      if (!owner) {
        owner = new GraphNode({
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          namespace: node.identity.namespace,
          name: ref.name,
          uid: ref.uid,
        });
        this.nodes.set(ref.uid, owner);
        // Is it there at all? The collector looks it up.
        work.attemptToDelete.push(owner);
      }
      owner.dependents.add(node);
    }
  }
}
