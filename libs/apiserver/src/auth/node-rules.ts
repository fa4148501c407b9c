// What a kubelet may do before the Node authorizer narrows it (Kubernetes' bootstrap NodeRules):
// the rules of the system:node ClusterRole, which the Node authorizer applies to every node
// instead of a binding. NodeRestriction admission then limits the writes to the node's own
// objects.
import type { PolicyRule } from '@flotilla/api';

const READ = ['get', 'list', 'watch'];
const rule = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({
  verbs,
  apiGroups,
  resources,
});

export const NODE_RULES: readonly PolicyRule[] = [
  // Checking API access; these creates change nothing.
  rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
  rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews', 'localsubjectaccessreviews']),
  // Services, for the environment variables of pods.
  rule(READ, [''], ['services']),
  // Registering the Node and reporting its status (its own only: NodeRestriction).
  rule(['create', ...READ], [''], ['nodes']),
  rule(['update', 'patch'], [''], ['nodes/status']),
  rule(['update', 'patch'], [''], ['nodes']),
  rule(['create', 'update', 'patch'], ['', 'events.k8s.io'], ['events']),
  rule(READ, [''], ['pods']),
  // Mirror pods, pod status and evictions of pods bound to the node (NodeRestriction).
  rule(['create', 'delete'], [''], ['pods']),
  rule(['update', 'patch'], [''], ['pods/status']),
  rule(['create'], [''], ['pods/eviction']),
  // Narrowed by the Node authorizer to the objects the node's pods use.
  rule(READ, [''], ['secrets', 'configmaps']),
  rule(['get'], [''], ['persistentvolumeclaims', 'persistentvolumes']),
  rule(['get'], [''], ['endpoints']),
  rule(['create', ...READ], ['certificates.k8s.io'], ['certificatesigningrequests']),
  rule(['get', 'create', 'update', 'patch', 'delete'], ['coordination.k8s.io'], ['leases']),
  rule(['get'], ['storage.k8s.io'], ['volumeattachments']),
  rule(['create'], [''], ['serviceaccounts/token']),
  rule(READ, ['node.k8s.io'], ['runtimeclasses']),
  rule(READ, ['storage.k8s.io'], ['csidrivers']),
  rule(['get', 'create', 'update', 'patch', 'delete'], ['storage.k8s.io'], ['csinodes']),
];
