// The controllers kube-controller-manager 1.32 knows, by canonical name, with the older names it
// still accepts as aliases (cmd/kube-controller-manager/names). `--controllers` may name any of
// them, although Flotilla runs only some: naming one it does not run is not an error, as naming a
// feature-gated controller is not an error for kube-controller-manager.

export interface KnownController {
  name: string;
  aliases: readonly string[];
  /** Left off by `*` (bootstrapsigner, tokencleaner). */
  disabledByDefault?: boolean;
}

const known = (name: string, aliases: string[] = [], disabledByDefault = false): KnownController =>
  disabledByDefault ? { name, aliases, disabledByDefault } : { name, aliases };

export const KNOWN_CONTROLLERS: readonly KnownController[] = Object.freeze([
  known('serviceaccount-token-controller', ['serviceaccount-token']),
  known('endpoints-controller', ['endpoint']),
  known('endpointslice-controller', ['endpointslice']),
  known('endpointslice-mirroring-controller', ['endpointslicemirroring']),
  known('replicationcontroller-controller', ['replicationcontroller']),
  known('pod-garbage-collector-controller', ['podgc']),
  known('resourcequota-controller', ['resourcequota']),
  known('namespace-controller', ['namespace']),
  known('serviceaccount-controller', ['serviceaccount']),
  known('garbage-collector-controller', ['garbagecollector']),
  known('daemonset-controller', ['daemonset']),
  known('job-controller', ['job']),
  known('deployment-controller', ['deployment']),
  known('replicaset-controller', ['replicaset']),
  known('horizontal-pod-autoscaler-controller', ['horizontalpodautoscaling']),
  known('disruption-controller', ['disruption']),
  known('statefulset-controller', ['statefulset']),
  known('cronjob-controller', ['cronjob']),
  known('certificatesigningrequest-signing-controller', ['csrsigning']),
  known('certificatesigningrequest-approving-controller', ['csrapproving']),
  known('certificatesigningrequest-cleaner-controller', ['csrcleaner']),
  known('ttl-controller', ['ttl']),
  known('bootstrap-signer-controller', ['bootstrapsigner'], true),
  known('token-cleaner-controller', ['tokencleaner'], true),
  known('node-ipam-controller', ['nodeipam']),
  known('node-lifecycle-controller', ['nodelifecycle']),
  known('service-lb-controller', ['service']),
  known('node-route-controller', ['route']),
  known('cloud-node-lifecycle-controller', ['cloud-node-lifecycle']),
  known('persistentvolume-binder-controller', ['persistentvolume-binder']),
  known('persistentvolume-attach-detach-controller', ['attachdetach']),
  known('persistentvolume-expander-controller', ['persistentvolume-expander']),
  known('clusterrole-aggregation-controller', ['clusterrole-aggregation']),
  known('persistentvolumeclaim-protection-controller', ['pvc-protection']),
  known('persistentvolume-protection-controller', ['pv-protection']),
  known('ttl-after-finished-controller', ['ttl-after-finished']),
  known('root-ca-certificate-publisher-controller', ['root-ca-cert-publisher']),
  known('ephemeral-volume-controller', ['ephemeral-volume']),
  known('storageversion-garbage-collector-controller', ['storage-version-gc']),
  known('resourceclaim-controller', ['resource-claim-controller']),
  known('legacy-serviceaccount-token-cleaner-controller', ['legacy-service-account-token-cleaner']),
  known('validatingadmissionpolicy-status-controller'),
  known('taint-eviction-controller'),
  known('service-cidr-controller'),
  known('storage-version-migrator-controller'),
  known('selinux-warning-controller', [], true),
]);

/** The canonical name of `nameOrAlias`, or undefined if kube-controller-manager knows no such controller. */
export function canonicalControllerName(
  nameOrAlias: string,
  known: readonly KnownController[] = KNOWN_CONTROLLERS,
): string | undefined {
  return known.find((k) => k.name === nameOrAlias || k.aliases.includes(nameOrAlias))?.name;
}
