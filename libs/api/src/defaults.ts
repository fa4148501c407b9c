// Defaulting applied to every decoded object, as the Kubernetes v1/apps v1 SetDefaults_* functions do.
import type { ResourceInfo } from './catalog';
import type { JsonObject, KubeObject } from './object';
import { isPlainObject } from './object';
import { getOwn, setOwn } from './own-keys';
import { defaultPriorityClass } from './priority-class';

function obj(parent: JsonObject, key: string): JsonObject {
  const current = getOwn(parent, key);
  if (isPlainObject(current)) return current;
  const created: JsonObject = {};
  setOwn(parent, key, created);
  return created;
}

function list(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isPlainObject) : [];
}

/** Keys may come from the object itself (resource names of limits), so only own members count. */
function setDefault(target: JsonObject, key: string, value: unknown): void {
  const current = getOwn(target, key);
  if (current === undefined || current === null) setOwn(target, key, value);
}

/** Always for ":latest" or an untagged image (a digest counts as a tag), otherwise IfNotPresent. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  if (colon < 0) return 'Always';
  return image.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(probe: unknown): void {
  if (!isPlainObject(probe)) return;
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  if (isPlainObject(probe.httpGet)) setDefault(probe.httpGet, 'scheme', 'HTTP');
}

function defaultContainer(c: JsonObject, hostNetwork: boolean, isPod: boolean): void {
  if (typeof c.image === 'string' && c.image)
    setDefault(c, 'imagePullPolicy', defaultPullPolicy(c.image));
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  const resources = obj(c, 'resources');
  // A pod's limit without a request means the request equals the limit (templates are left alone).
  if (isPod && isPlainObject(resources.limits)) {
    const requests = obj(resources, 'requests');
    for (const [name, qty] of Object.entries(resources.limits)) setDefault(requests, name, qty);
  }
  for (const port of list(c.ports)) {
    setDefault(port, 'protocol', 'TCP');
    if (hostNetwork && port.hostPort === undefined) port.hostPort = port.containerPort;
  }
  for (const env of list(c.env)) {
    const fieldRef = isPlainObject(env.valueFrom) ? env.valueFrom.fieldRef : undefined;
    if (isPlainObject(fieldRef)) setDefault(fieldRef, 'apiVersion', 'v1');
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
}

/** Pod spec defaults, shared by pods and the pod templates of workloads. */
export function defaultPodSpec(spec: JsonObject, isPod = false): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'schedulerName', 'default-scheduler');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'enableServiceLinks', true);
  if (spec.serviceAccount !== undefined && spec.serviceAccountName === undefined) {
    spec.serviceAccountName = spec.serviceAccount;
  }
  const hostNetwork = spec.hostNetwork === true;
  for (const c of [...list(spec.containers), ...list(spec.initContainers)])
    defaultContainer(c, hostNetwork, isPod);
  for (const v of list(spec.volumes)) {
    if (isPlainObject(v.configMap)) setDefault(v.configMap, 'defaultMode', 420);
    if (isPlainObject(v.secret)) setDefault(v.secret, 'defaultMode', 420);
    if (isPlainObject(v.hostPath)) setDefault(v.hostPath, 'type', '');
  }
}

function defaultTemplate(spec: JsonObject): void {
  const template = spec.template;
  if (!isPlainObject(template)) return;
  if (isPlainObject(template.spec)) defaultPodSpec(template.spec);
}

function defaultDeployment(o: KubeObject): void {
  const spec = obj(o, 'spec');
  setDefault(spec, 'replicas', 1);
  const strategy = obj(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = obj(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', '25%');
    setDefault(ru, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultTemplate(spec);
}

function defaultReplicaSet(o: KubeObject): void {
  const spec = obj(o, 'spec');
  setDefault(spec, 'replicas', 1);
  defaultTemplate(spec);
}

function defaultService(o: KubeObject): void {
  const spec = obj(o, 'spec');
  setDefault(spec, 'type', 'ClusterIP');
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = obj(spec, 'sessionAffinityConfig');
    setDefault(obj(cfg, 'clientIP'), 'timeoutSeconds', 10800);
  }
  for (const port of list(spec.ports)) {
    setDefault(port, 'protocol', 'TCP');
    if (spec.type !== 'ExternalName') setDefault(port, 'targetPort', port.port);
  }
  if (spec.type !== 'ExternalName') setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer')
    setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
}

function defaultNamespace(o: KubeObject): void {
  // Kubernetes labels every namespace with its own name so selectors can pick namespaces by name.
  if (o.metadata.name) {
    o.metadata.labels = {
      ...(o.metadata.labels ?? {}),
      'kubernetes.io/metadata.name': o.metadata.name,
    };
  }
}

function defaultPorts(ports: unknown): void {
  for (const port of list(ports)) setDefault(port, 'protocol', 'TCP');
}

/** Applies the kind's defaults in place; called on create and on every update body. */
export function applyDefaults(r: ResourceInfo, o: KubeObject): void {
  const key = `${r.group}/${r.kind}`;
  switch (key) {
    case '/Pod':
      defaultPodSpec(obj(o, 'spec'), true);
      break;
    case 'apps/Deployment':
      defaultDeployment(o);
      break;
    case 'apps/ReplicaSet':
      defaultReplicaSet(o);
      break;
    case '/Service':
      defaultService(o);
      break;
    case '/Namespace':
      defaultNamespace(o);
      break;
    case '/Secret':
      setDefault(o, 'type', 'Opaque');
      break;
    case '/Endpoints':
      for (const subset of list(o.subsets)) defaultPorts(subset.ports);
      break;
    case 'discovery.k8s.io/EndpointSlice':
      defaultPorts(o.ports);
      break;
    case 'scheduling.k8s.io/PriorityClass':
      defaultPriorityClass(o);
      break;
  }
}
