// Defaulting shared by kinds (the pod spec, pod templates, ports), as the Kubernetes SetDefaults_*
// functions do; each kind's own defaults are in its module.
import type { ResourceInfo } from './catalog';
import type { JsonObject, KubeObject } from './object';
import { isPlainObject } from './object';
import { getOwn, setOwn } from './own-keys';
import { kindModuleOf } from './kinds/registry';

export function childObject(parent: JsonObject, key: string): JsonObject {
  const current = getOwn(parent, key);
  if (isPlainObject(current)) return current;
  const created: JsonObject = {};
  setOwn(parent, key, created);
  return created;
}

export function objectList(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isPlainObject) : [];
}

/** Keys may come from the object itself (resource names of limits), so only own members count. */
export function setDefault(target: JsonObject, key: string, value: unknown): void {
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
  const resources = childObject(c, 'resources');
  // A pod's limit without a request means the request equals the limit (templates are left alone).
  if (isPod && isPlainObject(resources.limits)) {
    const requests = childObject(resources, 'requests');
    for (const [name, qty] of Object.entries(resources.limits)) setDefault(requests, name, qty);
  }
  for (const port of objectList(c.ports)) {
    setDefault(port, 'protocol', 'TCP');
    if (hostNetwork && port.hostPort === undefined) port.hostPort = port.containerPort;
  }
  for (const env of objectList(c.env)) {
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
  for (const c of [...objectList(spec.containers), ...objectList(spec.initContainers)])
    defaultContainer(c, hostNetwork, isPod);
  for (const v of objectList(spec.volumes)) {
    if (isPlainObject(v.configMap)) setDefault(v.configMap, 'defaultMode', 420);
    if (isPlainObject(v.secret)) setDefault(v.secret, 'defaultMode', 420);
    if (isPlainObject(v.hostPath)) setDefault(v.hostPath, 'type', '');
  }
}

/** Defaults of a workload's pod template (spec.template). */
export function defaultTemplate(spec: JsonObject): void {
  const template = spec.template;
  if (!isPlainObject(template)) return;
  if (isPlainObject(template.spec)) defaultPodSpec(template.spec);
}

export function defaultPorts(ports: unknown): void {
  for (const port of objectList(ports)) setDefault(port, 'protocol', 'TCP');
}

/** Applies the kind's defaults in place; called on create and on every update body. */
export function applyDefaults(r: ResourceInfo, o: KubeObject): void {
  kindModuleOf(r)?.defaults?.(o);
}
