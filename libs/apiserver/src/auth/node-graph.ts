// Which objects each node may read because a pod bound to it uses them (the graph behind
// Kubernetes' Node authorizer): Secrets, ConfigMaps, PersistentVolumeClaims and the pod's
// service account, per namespace, and the PersistentVolumes bound to those claims. Kept from the pods of this master's watch cache, updated pod
// by pod (only pods whose resourceVersion moved are looked at again), so a decision is a map
// lookup.
import { isPlainObject, KubeObject } from '@flotilla/api';

export type NodeGraphResource =
  'secrets' | 'configmaps' | 'persistentvolumeclaims' | 'serviceaccounts';

/** What one pod uses, as `resource/namespace/name` keys. */
export function podReferences(pod: KubeObject): string[] {
  const ns = pod.metadata.namespace ?? '';
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  const refs = new Set<string>();
  const add = (resource: NodeGraphResource, name: unknown) => {
    if (typeof name === 'string' && name !== '') refs.add(`${resource}/${ns}/${name}`);
  };
  add('serviceaccounts', spec.serviceAccountName || 'default');
  for (const s of list(spec.imagePullSecrets)) add('secrets', s.name);
  for (const v of list(spec.volumes)) {
    add('secrets', field(v.secret, 'secretName'));
    add('configmaps', field(v.configMap, 'name'));
    add('persistentvolumeclaims', field(v.persistentVolumeClaim, 'claimName'));
    // A generic ephemeral volume's claim is named after the pod and the volume.
    if (isPlainObject(v.ephemeral)) add('persistentvolumeclaims', `${pod.metadata.name}-${v.name}`);
    for (const source of list(field(v.projected, 'sources'))) {
      add('secrets', field(source.secret, 'name'));
      add('configmaps', field(source.configMap, 'name'));
    }
    for (const driver of ['csi', 'cephfs', 'rbd', 'iscsi', 'flexVolume', 'azureFile']) {
      const d = v[driver];
      add('secrets', field(field(d, 'nodePublishSecretRef'), 'name'));
      add('secrets', field(field(d, 'secretRef'), 'name'));
      if (driver === 'azureFile') add('secrets', field(d, 'secretName'));
    }
  }
  const containers = [
    ...list(spec.initContainers),
    ...list(spec.containers),
    ...list(spec.ephemeralContainers),
  ];
  for (const c of containers) {
    for (const from of list(c.envFrom)) {
      add('secrets', field(from.secretRef, 'name'));
      add('configmaps', field(from.configMapRef, 'name'));
    }
    for (const e of list(c.env)) {
      add('secrets', field(field(e.valueFrom, 'secretKeyRef'), 'name'));
      add('configmaps', field(field(e.valueFrom, 'configMapKeyRef'), 'name'));
    }
  }
  return [...refs];
}

/** Per reference key, the nodes whose pods use it (with how many pods, so removal is exact). */
export class NodeGraph {
  private readonly users = new Map<string, Map<string, number>>();
  private readonly pods = new Map<string, { rv: string; node: string; refs: string[] }>();

  /** Whether a pod bound to `node` uses the object. */
  has(node: string, resource: NodeGraphResource, namespace: string, name: string): boolean {
    return (this.users.get(`${resource}/${namespace}/${name}`)?.get(node) ?? 0) > 0;
  }

  /** Brings the graph to the given pods (all of them, by key): only changed pods cost work. */
  sync(pods: Iterable<[string, KubeObject]>): void {
    const seen = new Set<string>();
    for (const [key, pod] of pods) {
      seen.add(key);
      const rv = pod.metadata.resourceVersion ?? '';
      const known = this.pods.get(key);
      if (known && known.rv === rv) continue;
      if (known) this.unlink(known.node, known.refs);
      const node = isPlainObject(pod.spec) ? pod.spec.nodeName : undefined;
      const entry = {
        rv,
        node: typeof node === 'string' ? node : '',
        refs: typeof node === 'string' && node !== '' ? podReferences(pod) : [],
      };
      this.link(entry.node, entry.refs);
      this.pods.set(key, entry);
    }
    for (const [key, known] of this.pods) {
      if (seen.has(key)) continue;
      this.unlink(known.node, known.refs);
      this.pods.delete(key);
    }
  }

  private link(node: string, refs: string[]): void {
    for (const ref of refs) {
      let nodes = this.users.get(ref);
      if (!nodes) this.users.set(ref, (nodes = new Map()));
      nodes.set(node, (nodes.get(node) ?? 0) + 1);
    }
  }

  private unlink(node: string, refs: string[]): void {
    for (const ref of refs) {
      const nodes = this.users.get(ref);
      const left = (nodes?.get(node) ?? 0) - 1;
      if (!nodes) continue;
      if (left > 0) nodes.set(node, left);
      else nodes.delete(node);
      if (nodes.size === 0) this.users.delete(ref);
    }
  }
}

/**
 * Which claims each PersistentVolume is bound to, from both ends of the bind: a claim's
 * spec.volumeName and a volume's spec.claimRef (the edge Kubernetes' graph draws). A node may get
 * a volume when a pod bound to it uses one of those claims. Rebuilt whole when claims or volumes
 * changed (there are few of them next to pods).
 */
export class VolumeClaims {
  private readonly claims = new Map<string, Set<string>>();

  /** The claims of volume `name`, as `namespace/name`. */
  of(name: string): Iterable<string> {
    return this.claims.get(name) ?? [];
  }

  rebuild(claims: Iterable<[string, KubeObject]>, volumes: Iterable<[string, KubeObject]>): void {
    this.claims.clear();
    const bind = (volume: unknown, namespace: unknown, claim: unknown) => {
      if (typeof volume !== 'string' || volume === '') return;
      if (typeof namespace !== 'string' || typeof claim !== 'string' || claim === '') return;
      let set = this.claims.get(volume);
      if (!set) this.claims.set(volume, (set = new Set()));
      set.add(`${namespace}/${claim}`);
    };
    for (const [, pvc] of claims) {
      bind(field(pvc.spec, 'volumeName'), pvc.metadata.namespace, pvc.metadata.name);
    }
    for (const [, pv] of volumes) {
      const ref = field(pv.spec, 'claimRef');
      bind(pv.metadata.name, field(ref, 'namespace'), field(ref, 'name'));
    }
  }
}

function list(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter(isPlainObject) : [];
}

function field(v: unknown, name: string): unknown {
  return isPlainObject(v) ? v[name] : undefined;
}
