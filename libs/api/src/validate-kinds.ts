// Per-kind validation of spec fields, on create and (re-run) on update.
import { fieldErrors } from './field-errors';
import type { JsonObject, KubeObject } from './object';
import { isPlainObject } from './object';
import { labelKeyProblem } from './label-names';
import { configKeyProblems } from './names';
import { labelSelectorFromObject, matchesLabels } from './selectors';
import type { StatusCause } from './status';
import { isApiError } from './status';
import { validatePriorityClass } from './priority-class';
import { validateRbacKind } from './rbac';
import { validateLabels } from './validate-meta';
import { PORT_RANGE_MESSAGE, PROTOCOLS, validatePodSpec, validPort } from './validate-pod';

function nonNegative(value: unknown, field: string, out: StatusCause[]): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    out.push(fieldErrors.invalid(field, value, 'must be greater than or equal to 0'));
  }
}

function entries(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.map((v) => (isPlainObject(v) ? v : {})) : [];
}

/** Shared by Deployment and ReplicaSet: selector, template labels, replicas, template pod spec. */
function validateWorkload(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const spec = isPlainObject(o.spec) ? o.spec : {};
  nonNegative(spec.replicas, 'spec.replicas', out);
  nonNegative(spec.minReadySeconds, 'spec.minReadySeconds', out);
  const selector = spec.selector;
  const template = isPlainObject(spec.template) ? spec.template : undefined;
  if (!isPlainObject(selector)) {
    out.push(fieldErrors.required('spec.selector'));
  } else {
    const empty =
      Object.keys((selector.matchLabels as object | undefined) ?? {}).length === 0 &&
      entries(selector.matchExpressions).length === 0;
    if (empty)
      out.push(
        fieldErrors.invalid('spec.selector', selector, 'empty selector is invalid for deployment'),
      );
    validateLabels(selector.matchLabels, 'spec.selector.matchLabels', out);
    if (!empty && template) {
      const templateLabels = isPlainObject(template.metadata)
        ? template.metadata.labels
        : undefined;
      try {
        const sel = labelSelectorFromObject(
          selector as Parameters<typeof labelSelectorFromObject>[0],
        );
        if (!matchesLabels(sel, templateLabels as Record<string, string> | undefined)) {
          out.push(
            fieldErrors.invalid(
              'spec.template.metadata.labels',
              templateLabels ?? {},
              '`selector` does not match template `labels`',
            ),
          );
        }
      } catch (err) {
        if (!isApiError(err)) throw err;
        out.push(fieldErrors.invalid('spec.selector', selector, err.message));
      }
    }
  }
  if (!template) {
    out.push(fieldErrors.required('spec.template'));
    return out;
  }
  if (isPlainObject(template.metadata))
    validateLabels(template.metadata.labels, 'spec.template.metadata.labels', out);
  out.push(...validatePodSpec(template.spec, 'spec.template.spec'));
  const restart = isPlainObject(template.spec) ? template.spec.restartPolicy : undefined;
  if (restart !== undefined && restart !== 'Always') {
    out.push(fieldErrors.notSupported('spec.template.spec.restartPolicy', restart, ['Always']));
  }
  return out;
}

const STRATEGY_TYPES = ['Recreate', 'RollingUpdate'];

function validateDeployment(o: KubeObject): StatusCause[] {
  const out = validateWorkload(o);
  const spec = isPlainObject(o.spec) ? o.spec : {};
  nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit', out);
  const strategy = isPlainObject(spec.strategy) ? spec.strategy : {};
  if (strategy.type !== undefined && !STRATEGY_TYPES.includes(String(strategy.type))) {
    out.push(fieldErrors.notSupported('spec.strategy.type', strategy.type, STRATEGY_TYPES));
  }
  if (
    strategy.type === 'Recreate' &&
    strategy.rollingUpdate !== undefined &&
    strategy.rollingUpdate !== null
  ) {
    out.push(
      fieldErrors.forbidden(
        'spec.strategy.rollingUpdate',
        "may not be specified when strategy `type` is 'Recreate'",
      ),
    );
  }
  const deadline = spec.progressDeadlineSeconds;
  if (
    typeof deadline === 'number' &&
    typeof spec.minReadySeconds === 'number' &&
    deadline <= spec.minReadySeconds
  ) {
    out.push(
      fieldErrors.invalid(
        'spec.progressDeadlineSeconds',
        deadline,
        'must be greater than minReadySeconds',
      ),
    );
  }
  return out;
}

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const SESSION_AFFINITIES = ['ClientIP', 'None'];
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

function validateService(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const spec = isPlainObject(o.spec) ? o.spec : {};
  const type = spec.type ?? 'ClusterIP';
  if (!SERVICE_TYPES.includes(String(type)))
    out.push(fieldErrors.notSupported('spec.type', type, SERVICE_TYPES));
  if (
    spec.sessionAffinity !== undefined &&
    !SESSION_AFFINITIES.includes(String(spec.sessionAffinity))
  ) {
    out.push(
      fieldErrors.notSupported('spec.sessionAffinity', spec.sessionAffinity, SESSION_AFFINITIES),
    );
  }
  if (type === 'ExternalName') {
    if (!spec.externalName) out.push(fieldErrors.required('spec.externalName'));
  }
  const ports = entries(spec.ports);
  const headless = spec.clusterIP === 'None';
  if (ports.length === 0 && type !== 'ExternalName' && !headless)
    out.push(fieldErrors.required('spec.ports'));
  const names = new Set<string>();
  const keys = new Set<string>();
  ports.forEach((port, i) => {
    const pf = `spec.ports[${i}]`;
    if (ports.length > 1 && !port.name) out.push(fieldErrors.required(`${pf}.name`));
    if (port.name) {
      if (names.has(String(port.name))) out.push(fieldErrors.duplicate(`${pf}.name`, port.name));
      names.add(String(port.name));
    }
    if (!validPort(port.port))
      out.push(fieldErrors.invalid(`${pf}.port`, port.port ?? 0, PORT_RANGE_MESSAGE));
    if (port.protocol !== undefined && !PROTOCOLS.includes(String(port.protocol))) {
      out.push(fieldErrors.notSupported(`${pf}.protocol`, port.protocol, PROTOCOLS));
    }
    const key = `${port.port}/${port.protocol ?? 'TCP'}`;
    if (keys.has(key))
      out.push(fieldErrors.duplicate(pf, { port: port.port, protocol: port.protocol ?? 'TCP' }));
    keys.add(key);
    const target = port.targetPort;
    if (typeof target === 'number' && !validPort(target)) {
      out.push(fieldErrors.invalid(`${pf}.targetPort`, target, PORT_RANGE_MESSAGE));
    } else if (
      typeof target === 'string' &&
      !(target.length <= 15 && IANA_SVC_NAME.test(target) && /[a-z]/.test(target))
    ) {
      out.push(
        fieldErrors.invalid(
          `${pf}.targetPort`,
          target,
          'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        ),
      );
    }
    if (
      port.nodePort !== undefined &&
      port.nodePort !== 0 &&
      type !== 'NodePort' &&
      type !== 'LoadBalancer'
    ) {
      out.push(
        fieldErrors.forbidden(
          `${pf}.nodePort`,
          `may not be used when \`type\` is '${String(type)}'`,
        ),
      );
    }
  });
  if (isPlainObject(spec.selector)) validateLabels(spec.selector, 'spec.selector', out);
  const ip = spec.clusterIP;
  if (
    typeof ip === 'string' &&
    ip !== '' &&
    ip !== 'None' &&
    !/^(\d{1,3}\.){3}\d{1,3}$|:/.test(ip)
  ) {
    out.push(
      fieldErrors.invalid(
        'spec.clusterIPs[0]',
        ip,
        'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      ),
    );
  }
  return out;
}

function validateDataKeys(o: KubeObject, fields: string[]): StatusCause[] {
  const out: StatusCause[] = [];
  const seen = new Set<string>();
  for (const field of fields) {
    const data = o[field];
    if (data === undefined || data === null) continue;
    if (!isPlainObject(data)) {
      out.push(fieldErrors.invalid(field, data, 'must be a map'));
      continue;
    }
    for (const key of Object.keys(data)) {
      for (const p of configKeyProblems(key)) out.push(fieldErrors.invalid(field, key, p));
      if (field !== 'stringData' && seen.has(key))
        out.push(fieldErrors.duplicate(`${field}[${key}]`, key));
      seen.add(key);
    }
  }
  return out;
}

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];

function validateEndpointSlice(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  if (!o.addressType) out.push(fieldErrors.required('addressType'));
  else if (!ADDRESS_TYPES.includes(String(o.addressType)))
    out.push(fieldErrors.notSupported('addressType', o.addressType, ADDRESS_TYPES));
  entries(o.endpoints).forEach((ep, i) => {
    if (!Array.isArray(ep.addresses) || ep.addresses.length === 0) {
      out.push(
        fieldErrors.required(`endpoints[${i}].addresses`, 'must contain at least 1 address'),
      );
    }
  });
  return out;
}

function validateLease(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const spec = isPlainObject(o.spec) ? o.spec : {};
  const duration = spec.leaseDurationSeconds;
  if (
    duration !== undefined &&
    duration !== null &&
    !(typeof duration === 'number' && duration > 0)
  ) {
    out.push(fieldErrors.invalid('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
  }
  nonNegative(spec.leaseTransitions, 'spec.leaseTransitions', out);
  return out;
}

function validateEndpoints(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  entries(o.subsets).forEach((subset, i) => {
    for (const list of ['addresses', 'notReadyAddresses']) {
      entries(subset[list]).forEach((addr, j) => {
        if (!addr.ip) out.push(fieldErrors.required(`subsets[${i}].${list}[${j}].ip`));
      });
    }
    entries(subset.ports).forEach((port, j) => {
      if (!validPort(port.port))
        out.push(
          fieldErrors.invalid(`subsets[${i}].ports[${j}].port`, port.port ?? 0, PORT_RANGE_MESSAGE),
        );
    });
  });
  return out;
}

/** spec.finalizers: qualified names, as metadata.finalizers (checked on create and finalize). */
function validateNamespace(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const spec = isPlainObject(o.spec) ? o.spec : {};
  if (spec.finalizers === undefined || spec.finalizers === null) return out;
  if (!Array.isArray(spec.finalizers)) {
    out.push(fieldErrors.invalid('spec.finalizers', spec.finalizers, 'must be a list of names'));
    return out;
  }
  spec.finalizers.forEach((f, i) => {
    const problem = typeof f === 'string' ? labelKeyProblem(f) : 'must be a string';
    if (problem) out.push(fieldErrors.invalid(`spec.finalizers[${i}]`, f, problem));
  });
  return out;
}

/** Causes for the kind-specific part of an object (metadata is checked separately). */
export function validateKind(key: string, o: KubeObject): StatusCause[] {
  switch (key) {
    case '/Pod':
      return validatePodSpec(o.spec, 'spec');
    case 'apps/Deployment':
      return validateDeployment(o);
    case 'apps/ReplicaSet':
      return validateWorkload(o);
    case '/Service':
      return validateService(o);
    case '/ConfigMap':
      return validateDataKeys(o, ['data', 'binaryData']);
    case '/Secret':
      return validateDataKeys(o, ['data', 'stringData']);
    case 'discovery.k8s.io/EndpointSlice':
      return validateEndpointSlice(o);
    case 'coordination.k8s.io/Lease':
      return validateLease(o);
    case '/Endpoints':
      return validateEndpoints(o);
    case 'scheduling.k8s.io/PriorityClass':
      return validatePriorityClass(o);
    case '/Namespace':
      return validateNamespace(o);
    case 'rbac.authorization.k8s.io/Role':
    case 'rbac.authorization.k8s.io/ClusterRole':
    case 'rbac.authorization.k8s.io/RoleBinding':
    case 'rbac.authorization.k8s.io/ClusterRoleBinding':
      return validateRbacKind(o.kind ?? '', o);
    default:
      return [];
  }
}
