// scheduling.k8s.io/v1 PriorityClass: what the server knows of the kind in one place (schema,
// defaults, validation, update rules, table columns), and the two classes every cluster has.
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import type { StatusCause } from '../../status';
import type { Definition, KindModule } from '../kind-module';
import { kindFields } from '../meta';
import { AGE, col, created, NAME } from '../printing';
import { resource } from '../resource';

export const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';
/** The highest value a user-defined class may have (scheduling.HighestUserDefinablePriority). */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
export const SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY;
export const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'];

/** The classes Kubernetes creates at bootstrap, with their values. */
export const SYSTEM_PRIORITY_CLASSES: readonly {
  name: string;
  value: number;
  description: string;
}[] = [
  {
    name: 'system-node-critical',
    value: SYSTEM_CRITICAL_PRIORITY + 1000,
    description: 'Used for system critical pods that must not be moved from their current node.',
  },
  {
    name: 'system-cluster-critical',
    value: SYSTEM_CRITICAL_PRIORITY,
    description:
      'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  },
];

/** A bootstrap PriorityClass as stored (the caller adds uid and creationTimestamp). */
export function systemPriorityClass(name: string): KubeObject | undefined {
  const known = SYSTEM_PRIORITY_CLASSES.find((c) => c.name === name);
  if (!known) return undefined;
  return {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: known.name },
    value: known.value,
    globalDefault: false,
    description: known.description,
    preemptionPolicy: 'PreemptLowerPriority',
  };
}

export const PRIORITY_CLASS_SCHEMA: Definition = {
  description:
    'PriorityClass defines mapping from a priority class name to the priority integer value.',
  fields: kindFields({
    value: 'integer',
    globalDefault: 'boolean',
    description: 'string',
    preemptionPolicy: 'string',
  }),
  required: ['value'],
  gvk: { group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass' },
};

export function defaultPriorityClass(o: KubeObject): void {
  if (o.preemptionPolicy === undefined || o.preemptionPolicy === null)
    o.preemptionPolicy = 'PreemptLowerPriority';
}

const INT32_MAX = 2 ** 31 - 1;

export function validatePriorityClass(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const value = o.value;
  if (value === undefined || value === null) out.push(fieldErrors.required('value'));
  else if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > INT32_MAX)
    out.push(fieldErrors.invalid('value', value, 'must be a 32-bit integer'));
  const name = o.metadata.name ?? '';
  if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const known = SYSTEM_PRIORITY_CLASSES.find((c) => c.name === name);
    const problem = !known
      ? `${name} is not a known system priority class`
      : value !== known.value
        ? `value of ${name} PriorityClass must be ${known.value}`
        : o.globalDefault === true
          ? `globalDefault of ${name} PriorityClass must be false`
          : undefined;
    if (problem)
      out.push(
        fieldErrors.forbidden(
          'metadata.name',
          `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${problem}`,
        ),
      );
  } else if (typeof value === 'number' && value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    out.push(
      fieldErrors.forbidden(
        'value',
        `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`,
      ),
    );
  }
  if (o.preemptionPolicy !== undefined && !PREEMPTION_POLICIES.includes(String(o.preemptionPolicy)))
    out.push(fieldErrors.notSupported('preemptionPolicy', o.preemptionPolicy, PREEMPTION_POLICIES));
  return out;
}

/** Value and preemptionPolicy are fixed once created (ValidatePriorityClassUpdate). */
export function validatePriorityClassUpdate(next: KubeObject, prev: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  if (next.value !== prev.value)
    out.push(fieldErrors.forbidden('value', 'may not be changed in an update.'));
  if (next.preemptionPolicy !== prev.preemptionPolicy)
    out.push(
      fieldErrors.invalid('preemptionPolicy', next.preemptionPolicy ?? null, 'field is immutable'),
    );
  return out;
}

/** kubectl get priorityclasses: NAME, VALUE, GLOBAL-DEFAULT, AGE, PREEMPTIONPOLICY. */
export function priorityClassCells(o: KubeObject): {
  value: number;
  globalDefault: boolean;
  policy: string;
} {
  return {
    value: typeof o.value === 'number' ? o.value : 0,
    globalDefault: o.globalDefault === true,
    policy: typeof o.preemptionPolicy === 'string' ? o.preemptionPolicy : '',
  };
}

export const priorityClassKind: KindModule = {
  resource: resource('scheduling.k8s.io', 'PriorityClass', 'priorityclasses', {
    shortNames: ['pc'],
    namespaced: false,
  }),
  definitions: { 'io.k8s.api.scheduling.v1.PriorityClass': PRIORITY_CLASS_SCHEMA },
  // `kubectl create priorityclass` sends protobuf (k8s.io/api scheduling/v1 generated.proto).
  protobuf: {
    package: 'k8s.io.api.scheduling.v1',
    messages: {
      PriorityClass: [
        '1 metadata ObjectMeta',
        '2 value! int32',
        '3 globalDefault bool',
        '4 description string',
        '5 preemptionPolicy *string',
      ],
      PriorityClassList: ['1 metadata ListMeta', '2 items! []PriorityClass'],
    },
  },
  defaults: defaultPriorityClass,
  validate: validatePriorityClass,
  validateUpdate: validatePriorityClassUpdate,
  printer: {
    columns: [
      NAME,
      col('Value', 'The integer value of the priority.', { type: 'integer' }),
      col('Global-Default', 'Whether pods without a class get this one.', { type: 'boolean' }),
      AGE,
      col('PreemptionPolicy', 'Whether pods of this class may preempt others.'),
    ],
    cells: (o, now) => {
      const c = priorityClassCells(o);
      return [o.metadata.name ?? '', c.value, c.globalDefault, created(o, now), c.policy];
    },
  },
};
