// Pod spec validation, for pods and for the pod templates of workloads.
import { fieldErrors } from './field-errors';
import type { JsonObject } from './object';
import { isPlainObject } from './object';
import { nameProblems } from './names';
import type { StatusCause } from './status';

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
export const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TOLERATION_OPERATORS = ['Equal', 'Exists'];
const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];

export function validPort(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

export const PORT_RANGE_MESSAGE = 'must be between 1 and 65535, inclusive';

function entries(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.map((v) => (isPlainObject(v) ? v : {})) : [];
}

function validateContainer(
  c: JsonObject,
  field: string,
  volumeNames: Set<string>,
  out: StatusCause[],
): void {
  if (!c.name) out.push(fieldErrors.required(`${field}.name`));
  else
    for (const p of nameProblems(String(c.name), 'dns1123-label'))
      out.push(fieldErrors.invalid(`${field}.name`, c.name, p));
  if (!c.image) out.push(fieldErrors.required(`${field}.image`));
  if (c.imagePullPolicy !== undefined && !PULL_POLICIES.includes(String(c.imagePullPolicy))) {
    out.push(
      fieldErrors.notSupported(`${field}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES),
    );
  }
  entries(c.ports).forEach((port, i) => {
    const pf = `${field}.ports[${i}]`;
    if (port.containerPort === undefined) out.push(fieldErrors.required(`${pf}.containerPort`));
    else if (!validPort(port.containerPort))
      out.push(fieldErrors.invalid(`${pf}.containerPort`, port.containerPort, PORT_RANGE_MESSAGE));
    if (port.hostPort !== undefined && port.hostPort !== 0 && !validPort(port.hostPort)) {
      out.push(fieldErrors.invalid(`${pf}.hostPort`, port.hostPort, PORT_RANGE_MESSAGE));
    }
    if (port.protocol !== undefined && !PROTOCOLS.includes(String(port.protocol))) {
      out.push(fieldErrors.notSupported(`${pf}.protocol`, port.protocol, PROTOCOLS));
    }
  });
  entries(c.env).forEach((env, i) => {
    if (!env.name) out.push(fieldErrors.required(`${field}.env[${i}].name`));
  });
  entries(c.volumeMounts).forEach((mount, i) => {
    const mf = `${field}.volumeMounts[${i}]`;
    if (!mount.name) out.push(fieldErrors.required(`${mf}.name`));
    else if (!volumeNames.has(String(mount.name)))
      out.push(fieldErrors.notFound(`${mf}.name`, mount.name));
    if (!mount.mountPath) out.push(fieldErrors.required(`${mf}.mountPath`));
  });
}

/** Causes for a pod spec at `field` ('spec' for pods, 'spec.template.spec' for workloads). */
export function validatePodSpec(spec: unknown, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (!isPlainObject(spec)) {
    out.push(fieldErrors.required(`${field}.containers`));
    return out;
  }
  const volumeNames = new Set<string>();
  entries(spec.volumes).forEach((v, i) => {
    const vf = `${field}.volumes[${i}].name`;
    if (!v.name) out.push(fieldErrors.required(vf));
    else if (volumeNames.has(String(v.name))) out.push(fieldErrors.duplicate(vf, v.name));
    else {
      for (const p of nameProblems(String(v.name), 'dns1123-label'))
        out.push(fieldErrors.invalid(vf, v.name, p));
      volumeNames.add(String(v.name));
    }
  });
  const containers = entries(spec.containers);
  if (containers.length === 0) out.push(fieldErrors.required(`${field}.containers`));
  const seen = new Set<string>();
  const check = (list: JsonObject[], kind: string): void =>
    list.forEach((c, i) => {
      const cf = `${field}.${kind}[${i}]`;
      validateContainer(c, cf, volumeNames, out);
      if (c.name) {
        if (seen.has(String(c.name))) out.push(fieldErrors.duplicate(`${cf}.name`, c.name));
        seen.add(String(c.name));
      }
    });
  check(containers, 'containers');
  check(entries(spec.initContainers), 'initContainers');
  if (spec.restartPolicy !== undefined && !RESTART_POLICIES.includes(String(spec.restartPolicy))) {
    out.push(
      fieldErrors.notSupported(`${field}.restartPolicy`, spec.restartPolicy, RESTART_POLICIES),
    );
  }
  if (spec.dnsPolicy !== undefined && !DNS_POLICIES.includes(String(spec.dnsPolicy))) {
    out.push(fieldErrors.notSupported(`${field}.dnsPolicy`, spec.dnsPolicy, DNS_POLICIES));
  }
  const grace = spec.terminationGracePeriodSeconds;
  if (grace !== undefined && (typeof grace !== 'number' || !Number.isInteger(grace))) {
    out.push(
      fieldErrors.invalid(`${field}.terminationGracePeriodSeconds`, grace, 'must be an integer'),
    );
  }
  entries(spec.tolerations).forEach((t, i) => {
    const tf = `${field}.tolerations[${i}]`;
    if (t.operator !== undefined && !TOLERATION_OPERATORS.includes(String(t.operator))) {
      out.push(fieldErrors.notSupported(`${tf}.operator`, t.operator, TOLERATION_OPERATORS));
    }
    if (t.operator === 'Exists' && t.value) {
      out.push(
        fieldErrors.invalid(
          `${tf}.operator`,
          t.operator,
          "value must be empty when `operator` is 'Exists'",
        ),
      );
    }
    if (t.effect !== undefined && t.effect !== '' && !TAINT_EFFECTS.includes(String(t.effect))) {
      out.push(fieldErrors.notSupported(`${tf}.effect`, t.effect, TAINT_EFFECTS));
    }
  });
  if (spec.nodeName !== undefined && spec.nodeName !== '') {
    for (const p of nameProblems(String(spec.nodeName), 'dns1123-subdomain')) {
      out.push(fieldErrors.invalid(`${field}.nodeName`, spec.nodeName, p));
    }
  }
  return out;
}
