// policy/v1 PodDisruptionBudget, and the Eviction a pods/eviction request carries.
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import { getPath, isPlainObject } from '../../object';
import type { StatusCause } from '../../status';
import { validateLabels } from '../../validate-meta';
import { declareKind } from '../declare';
import type { KindModule } from '../kind-module';
import { spec } from '../kind-module';
import { AGE, col, created, NAME, num } from '../printing';
import { resource } from '../resource';

const POLICY = 'io.k8s.api.policy.v1.';
const EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

const declared = declareKind({
  group: 'policy',
  version: 'v1',
  kind: 'PodDisruptionBudget',
  package: 'k8s.io.api.policy.v1',
  prefix: POLICY,
  descriptions: {
    PodDisruptionBudget:
      'PodDisruptionBudget is an object to define the max disruption that can be caused to a collection of pods.',
    PodDisruptionBudgetSpec: 'PodDisruptionBudgetSpec is a description of a PodDisruptionBudget.',
    PodDisruptionBudgetStatus:
      'PodDisruptionBudgetStatus represents information about the status of a PodDisruptionBudget.',
    Eviction:
      'Eviction evicts a pod from its node subject to certain policies and safety constraints.',
  },
  // Field tables: k8s.io/api policy/v1 generated.proto numbers, types.go pointers and omitempty.
  messages: {
    PodDisruptionBudget: [
      '1 metadata ObjectMeta',
      '2 spec PodDisruptionBudgetSpec',
      '3 status PodDisruptionBudgetStatus',
    ],
    PodDisruptionBudgetSpec: [
      '1 minAvailable *IntOrString',
      '2 selector *LabelSelector',
      '3 maxUnavailable *IntOrString',
      '4 unhealthyPodEvictionPolicy *string',
    ],
    PodDisruptionBudgetStatus: [
      '1 observedGeneration int64',
      '2 disruptedPods map[string]Time',
      '3 disruptionsAllowed! int32',
      '4 currentHealthy! int32',
      '5 desiredHealthy! int32',
      '6 expectedPods! int32',
      '7 conditions []Condition merge=type map=type',
    ],
    PodDisruptionBudgetList: ['1 metadata ListMeta', '2 items! []PodDisruptionBudget'],
    Eviction: ['1 metadata ObjectMeta', '2 deleteOptions *DeleteOptions'],
  },
});

/** An int-or-percent of a budget: a non-negative integer, or a percentage of at most 100. */
function validateIntOrPercent(value: unknown, field: string, out: StatusCause[]): void {
  if (value === undefined || value === null) return;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0)
      out.push(fieldErrors.invalid(field, value, 'must be greater than or equal to 0'));
    return;
  }
  const m = typeof value === 'string' ? /^(\d+)%$/.exec(value) : null;
  if (!m) {
    out.push(
      fieldErrors.invalid(
        field,
        value,
        "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      ),
    );
  } else if (Number(m[1]) > 100) {
    out.push(fieldErrors.invalid(field, value, 'must not be greater than 100%'));
  }
}

function validatePdb(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const s = spec(o);
  if (s.minAvailable != null && s.maxUnavailable != null)
    out.push(fieldErrors.invalid('spec', s, 'minAvailable and maxUnavailable cannot be both set'));
  validateIntOrPercent(s.minAvailable, 'spec.minAvailable', out);
  validateIntOrPercent(s.maxUnavailable, 'spec.maxUnavailable', out);
  if (isPlainObject(s.selector))
    validateLabels(s.selector.matchLabels, 'spec.selector.matchLabels', out);
  const policy = s.unhealthyPodEvictionPolicy;
  if (policy != null && !EVICTION_POLICIES.includes(String(policy)))
    out.push(
      fieldErrors.notSupported('spec.unhealthyPodEvictionPolicy', policy, EVICTION_POLICIES),
    );
  return out;
}

const orNA = (v: unknown): string => (v === undefined || v === null ? 'N/A' : String(v));

export const podDisruptionBudgetKind: KindModule = {
  resource: resource('policy', 'PodDisruptionBudget', 'poddisruptionbudgets', {
    shortNames: ['pdb'],
    subresources: ['status'],
  }),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
  protobufKinds: ['Eviction'],
  tracksGeneration: true,
  prepareForCreate(o) {
    o.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
  },
  validate: validatePdb,
  printer: {
    columns: [
      NAME,
      col('Min Available', 'The minimum number of pods that must be available.'),
      col('Max Unavailable', 'The maximum number of pods that may be unavailable.'),
      col('Allowed Disruptions', 'How many pods may be disrupted now.', { type: 'integer' }),
      AGE,
    ],
    cells: (o, now) => [
      o.metadata.name ?? '',
      orNA(getPath(o, 'spec.minAvailable')),
      orNA(getPath(o, 'spec.maxUnavailable')),
      num(getPath(o, 'status.disruptionsAllowed')),
      created(o, now),
    ],
  },
};
