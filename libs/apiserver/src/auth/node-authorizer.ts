// Kubernetes' Node authorizer: a kubelet (system:node:<name> in system:nodes) reads only the
// Secrets, ConfigMaps and PersistentVolumeClaims that pods bound to its node use (and the
// PersistentVolumes bound to those claims), asks tokens only
// for their service accounts, and touches only its own Lease; everything else is the static
// node rules. No opinion for anyone else, and a reason when it declines, which the 403 carries
// ("no relationship found between node 'n1' and this object").
import type { WatchCache } from '../watch/watch-cache';
import type { WatchCaches } from '../watch/watch-caches';
import { Attributes, Authorizer, Decision, NO_OPINION, ResourceAttributes } from './authorizer';
import { NodeGraph, NodeGraphResource, VolumeClaims } from './node-graph';
import { NODE_RULES } from './node-rules';
import { ruleAllows } from './rbac-rules';
import { NODE_USER_PREFIX, NODES_GROUP, nodeNameOf } from './user-info';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

const ALLOW: Decision = { decision: 'allow', reason: '' };
const decline = (reason: string): Decision => ({ decision: 'noOpinion', reason });

export class NodeAuthorizer implements Authorizer {
  private readonly graph = new NodeGraph();
  private seen = -1;
  private readonly pods: WatchCache;
  private readonly volumeClaims = new VolumeClaims();
  private volumesSeen = '';
  private readonly pvcs: WatchCache;
  private readonly pvs: WatchCache;
  private started: Promise<void> | undefined;

  constructor(caches: WatchCaches) {
    this.pods = caches.for({ group: '', plural: 'pods' });
    this.pvcs = caches.for({ group: '', plural: 'persistentvolumeclaims' });
    this.pvs = caches.for({ group: '', plural: 'persistentvolumes' });
  }

  ready(): Promise<void> {
    this.started ??= Promise.all([this.pods.start(), this.pvcs.start(), this.pvs.start()]).then(
      () => undefined,
    );
    return this.started;
  }

  authorize(a: Attributes): Decision {
    if (!a.user.groups.includes(NODES_GROUP) || !a.user.name.startsWith(NODE_USER_PREFIX)) {
      return NO_OPINION;
    }
    const node = nodeNameOf(a.user);
    if (!node) return decline(`unknown node for user ${JSON.stringify(a.user.name)}`);
    if (a.kind === 'resource') {
      const decided = this.subdivided(node, a);
      if (decided) return decided;
    }
    return NODE_RULES.some((rule) => ruleAllows(rule, a)) ? ALLOW : NO_OPINION;
  }

  /** The resources whose access depends on the node's pods or names; undefined for the rest. */
  private subdivided(node: string, a: ResourceAttributes): Decision | undefined {
    const core = a.apiGroup === '';
    if (core && (a.resource === 'secrets' || a.resource === 'configmaps')) {
      if (!['get', 'list', 'watch'].includes(a.verb))
        return decline('can only read resources of this type');
      if (a.subresource) return decline('cannot read subresource');
      if (!a.namespace) return decline('can only read namespaced object of this type');
      return this.related(node, a.resource, a);
    }
    if (core && a.resource === 'persistentvolumeclaims') {
      if (a.verb !== 'get') return decline('can only get individual resources of this type');
      if (a.subresource) return decline('cannot get subresource');
      return this.related(node, 'persistentvolumeclaims', a);
    }
    if (core && a.resource === 'persistentvolumes') {
      if (a.verb !== 'get') return decline('can only get individual resources of this type');
      if (a.subresource) return decline('cannot get subresource');
      return this.volumeRelated(node, a);
    }
    if (core && a.resource === 'serviceaccounts') {
      if (a.verb !== 'create' || !a.name)
        return decline('can only create tokens for individual service accounts');
      if (a.subresource !== 'token')
        return decline('can only create token subresource of serviceaccount');
      return this.related(node, 'serviceaccounts', a);
    }
    if (a.apiGroup === 'coordination.k8s.io' && a.resource === 'leases') {
      if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb))
        return decline('can only get, create, update, patch, or delete a node lease');
      if (a.namespace !== NODE_LEASE_NAMESPACE)
        return decline(`can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
      // A create names the lease in its body: NodeRestriction checks it.
      if (a.verb !== 'create' && a.name !== node)
        return decline('can only access node lease with the same name as the requesting node');
      return ALLOW;
    }
    if (a.apiGroup === 'storage.k8s.io' && a.resource === 'csinodes') {
      if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb))
        return decline('can only get, create, update, patch, or delete a CSINode');
      if (a.verb !== 'create' && a.name !== node)
        return decline('can only access CSINode with the same name as the requesting node');
      return ALLOW;
    }
    return undefined;
  }

  private related(node: string, resource: NodeGraphResource, a: ResourceAttributes): Decision {
    if (!a.name) return decline('No Object name found');
    this.refresh();
    return this.graph.has(node, resource, a.namespace, a.name)
      ? ALLOW
      : decline(`no relationship found between node '${node}' and this object`);
  }

  /** A volume is the node's when one of its claims is used by a pod bound to the node. */
  private volumeRelated(node: string, a: ResourceAttributes): Decision {
    if (!a.name) return decline('No Object name found');
    this.refresh();
    const stamp = `${this.pvcs.changeCount}/${this.pvs.changeCount}`;
    if (stamp !== this.volumesSeen) {
      this.volumeClaims.rebuild(this.pvcs.entries(), this.pvs.entries());
      this.volumesSeen = stamp;
    }
    for (const claim of this.volumeClaims.of(a.name)) {
      const [namespace, name] = claim.split('/');
      if (this.graph.has(node, 'persistentvolumeclaims', namespace, name)) return ALLOW;
    }
    return decline(`no relationship found between node '${node}' and this object`);
  }

  private refresh(): void {
    const stamp = this.pods.changeCount;
    if (stamp === this.seen) return;
    this.graph.sync(this.pods.entries());
    this.seen = stamp;
  }
}
