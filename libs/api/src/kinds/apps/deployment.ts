// apps/v1 Deployment.
import type { MessageTable } from '../../protobuf/schema';
import { childObject, defaultTemplate, setDefault } from '../../defaults';
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import { getPath, isPlainObject, jsonEqual, type JsonObject } from '../../object';
import type { StatusCause } from '../../status';
import { nonNegative, validateSelectorUpdate, validateWorkload } from '../../validate-kinds';
import type { KindModule } from '../kind-module';
import { APPS, BY_TYPE, CORE, META, kindFields } from '../meta';
import { AGE, col, created, NAME, num, WORKLOAD_WIDE, workloadWideCells } from '../printing';
import { REPLICA_SCALE, resource } from '../resource';

function defaultDeployment(o: KubeObject): void {
  const spec = childObject(o, 'spec');
  setDefault(spec, 'replicas', 1);
  const strategy = childObject(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = childObject(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', '25%');
    setDefault(ru, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultTemplate(spec);
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
  if (isPlainObject(strategy.rollingUpdate))
    validateRollingUpdate(strategy.rollingUpdate, 'spec.strategy.rollingUpdate', out);
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

/**
 * maxSurge and maxUnavailable: each a non-negative integer or a percentage; maxUnavailable at
 * most 100%; not both 0 (kube's ValidateRollingUpdateDeployment).
 */
function validateRollingUpdate(ru: JsonObject, field: string, out: StatusCause[]): void {
  const surge = intOrPercent(ru.maxSurge, `${field}.maxSurge`, out);
  const unavailable = intOrPercent(ru.maxUnavailable, `${field}.maxUnavailable`, out);
  if (unavailable?.percent && unavailable.value > 100) {
    out.push(
      fieldErrors.invalid(
        `${field}.maxUnavailable`,
        ru.maxUnavailable,
        'must not be greater than 100%',
      ),
    );
  }
  if (unavailable?.value === 0 && surge?.value === 0) {
    out.push(
      fieldErrors.invalid(
        `${field}.maxUnavailable`,
        ru.maxUnavailable,
        'may not be 0 when `maxSurge` is 0',
      ),
    );
  }
}

/** An IntOrString's value when it is valid (absent: undefined, no error). */
function intOrPercent(
  value: unknown,
  field: string,
  out: StatusCause[],
): { value: number; percent: boolean } | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) return { value, percent: false };
    out.push(fieldErrors.invalid(field, value, 'must be greater than or equal to 0'));
    return undefined;
  }
  const m = typeof value === 'string' ? /^(\d+)%$/.exec(value) : null;
  if (m) return { value: Number(m[1]), percent: true };
  out.push(fieldErrors.invalid(field, value, "must be an integer or percentage (e.g '5%')"));
  return undefined;
}

/** Protobuf field tables (generated.proto numbers, types.go pointers and omitempty). */
export const DEPLOYMENT_PROTOBUF: MessageTable = {
  package: 'k8s.io.api.apps.v1',
  messages: {
    Deployment: ['1 metadata ObjectMeta', '2 spec DeploymentSpec', '3 status DeploymentStatus'],
    DeploymentSpec: [
      '1 replicas *int32',
      '2 selector! *LabelSelector',
      '3 template! PodTemplateSpec',
      '4 strategy DeploymentStrategy',
      '5 minReadySeconds int32',
      '6 revisionHistoryLimit *int32',
      '7 paused bool',
      '9 progressDeadlineSeconds *int32',
    ],
    DeploymentStrategy: ['1 type string', '2 rollingUpdate *RollingUpdateDeployment'],
    RollingUpdateDeployment: ['1 maxUnavailable *IntOrString', '2 maxSurge *IntOrString'],
    DeploymentStatus: [
      '1 observedGeneration int64',
      '2 replicas int32',
      '3 updatedReplicas int32',
      '7 readyReplicas int32',
      '4 availableReplicas int32',
      '5 unavailableReplicas int32',
      '9 terminatingReplicas *int32',
      '6 conditions []DeploymentCondition',
      '8 collisionCount *int32',
    ],
    DeploymentCondition: [
      '1 type! string',
      '2 status! string',
      '6 lastUpdateTime Time',
      '7 lastTransitionTime Time',
      '4 reason string',
      '5 message string',
    ],
    DeploymentList: ['1 metadata ListMeta', '2 items! []Deployment'],
  },
};

export const deploymentKind: KindModule = {
  resource: resource('apps', 'Deployment', 'deployments', {
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    scale: REPLICA_SCALE,
  }),
  definitions: {
    [`${APPS}Deployment`]: {
      description: 'Declarative updates for pods and replica sets.',
      fields: kindFields({ spec: `#${APPS}DeploymentSpec`, status: 'any' }),
      gvk: { group: 'apps', version: 'v1', kind: 'Deployment' },
      statusLists: { conditions: BY_TYPE },
    },
    [`${APPS}DeploymentSpec`]: {
      description: 'The desired behavior of a deployment.',
      fields: {
        replicas: 'integer',
        selector: `#${META}LabelSelector`,
        template: `#${CORE}PodTemplateSpec`,
        strategy: `#${APPS}DeploymentStrategy`,
        minReadySeconds: 'integer',
        revisionHistoryLimit: 'integer',
        paused: 'boolean',
        progressDeadlineSeconds: 'integer',
      },
      required: ['selector', 'template'],
      retainKeys: ['strategy'],
    },
    [`${APPS}DeploymentStrategy`]: {
      description: 'How to replace existing pods with new ones.',
      fields: { type: 'string', rollingUpdate: `#${APPS}RollingUpdateDeployment` },
    },
    [`${APPS}RollingUpdateDeployment`]: {
      description: 'The parameters of a rolling update.',
      fields: { maxUnavailable: 'int-or-string', maxSurge: 'int-or-string' },
    },
  },
  tracksGeneration: true,
  // Deployment annotations are copied onto replica sets, so the deployment controller must see them change.
  generationChanged: (next, prev) =>
    !jsonEqual(next.metadata.annotations ?? {}, prev.metadata.annotations ?? {}),
  statusKeepsLabels: true,
  defaults: defaultDeployment,
  prepareForCreate(o) {
    o.status = {};
  },
  validate: validateDeployment,
  validateUpdate: validateSelectorUpdate,
  printer: {
    columns: [
      NAME,
      col('Ready', 'Ready replicas out of desired replicas.'),
      col('Up-to-date', 'Replicas updated to the latest template.', { type: 'integer' }),
      col('Available', 'Replicas available to serve.', { type: 'integer' }),
      AGE,
      ...WORKLOAD_WIDE,
    ],
    cells: (o, now) => [
      o.metadata.name ?? '',
      `${num(getPath(o, 'status.readyReplicas'))}/${num(getPath(o, 'spec.replicas'))}`,
      num(getPath(o, 'status.updatedReplicas')),
      num(getPath(o, 'status.availableReplicas')),
      created(o, now),
      ...workloadWideCells(o),
    ],
  },
  protobuf: DEPLOYMENT_PROTOBUF,
};
