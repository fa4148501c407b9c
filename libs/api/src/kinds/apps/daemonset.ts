// apps/v1 DaemonSet: one pod on each eligible node.
import { childObject, defaultTemplate, setDefault } from '../../defaults';
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import { getPath, isPlainObject } from '../../object';
import type { StatusCause } from '../../status';
import { nonNegative, validateSelectorUpdate, validateWorkload } from '../../validate-kinds';
import { declareKind } from '../declare';
import type { KindModule } from '../kind-module';
import { spec } from '../kind-module';
import { APPS } from '../meta';
import {
  AGE,
  col,
  created,
  NAME,
  num,
  selectorText,
  WORKLOAD_WIDE,
  workloadWideCells,
} from '../printing';
import { resource } from '../resource';

const STRATEGY_TYPES = ['OnDelete', 'RollingUpdate'];

const declared = declareKind({
  group: 'apps',
  version: 'v1',
  kind: 'DaemonSet',
  package: 'k8s.io.api.apps.v1',
  prefix: APPS,
  descriptions: {
    DaemonSet: 'DaemonSet represents the configuration of a daemon set.',
    DaemonSetSpec: 'DaemonSetSpec is the specification of a daemon set.',
    DaemonSetStatus: 'DaemonSetStatus represents the current status of a daemon set.',
  },
  // Field tables: k8s.io/api apps/v1 generated.proto numbers, types.go pointers and omitempty.
  messages: {
    DaemonSet: ['1 metadata ObjectMeta', '2 spec DaemonSetSpec', '3 status DaemonSetStatus'],
    DaemonSetSpec: [
      '1 selector! *LabelSelector',
      '2 template! PodTemplateSpec',
      '3 updateStrategy DaemonSetUpdateStrategy',
      '4 minReadySeconds int32',
      '6 revisionHistoryLimit *int32',
    ],
    DaemonSetUpdateStrategy: ['1 type string', '2 rollingUpdate *RollingUpdateDaemonSet'],
    RollingUpdateDaemonSet: ['1 maxUnavailable *IntOrString', '2 maxSurge *IntOrString'],
    DaemonSetStatus: [
      '1 currentNumberScheduled! int32',
      '2 numberMisscheduled! int32',
      '3 desiredNumberScheduled! int32',
      '4 numberReady! int32',
      '5 observedGeneration int64',
      '6 updatedNumberScheduled int32',
      '7 numberAvailable int32',
      '8 numberUnavailable int32',
      '9 collisionCount *int32',
      '10 conditions []DaemonSetCondition merge=type map=type',
    ],
    DaemonSetCondition: [
      '1 type! string',
      '2 status! string',
      '3 lastTransitionTime Time',
      '4 reason string',
      '5 message string',
    ],
    DaemonSetList: ['1 metadata ListMeta', '2 items! []DaemonSet'],
  },
});

function defaultDaemonSet(o: KubeObject): void {
  const s = childObject(o, 'spec');
  const strategy = childObject(s, 'updateStrategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = childObject(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', 1);
    setDefault(ru, 'maxSurge', 0);
  }
  setDefault(s, 'revisionHistoryLimit', 10);
  defaultTemplate(s);
}

const isZero = (v: unknown): boolean => v === 0 || v === '0%' || v === undefined || v === null;

function validateDaemonSet(o: KubeObject): StatusCause[] {
  const out = validateWorkload(o).map((c) =>
    c.message === 'Invalid value: {}: empty selector is invalid for deployment'
      ? { ...c, message: 'Invalid value: {}: empty selector is invalid for daemonset' }
      : c,
  );
  const s = spec(o);
  nonNegative(s.revisionHistoryLimit, 'spec.revisionHistoryLimit', out);
  const strategy = isPlainObject(s.updateStrategy) ? s.updateStrategy : {};
  if (strategy.type !== undefined && !STRATEGY_TYPES.includes(String(strategy.type)))
    out.push(fieldErrors.notSupported('spec.updateStrategy.type', strategy.type, STRATEGY_TYPES));
  const ru = isPlainObject(strategy.rollingUpdate) ? strategy.rollingUpdate : undefined;
  if (strategy.type === 'RollingUpdate' && ru && isZero(ru.maxUnavailable) && isZero(ru.maxSurge))
    out.push(
      fieldErrors.invalid(
        'spec.updateStrategy.rollingUpdate.maxUnavailable',
        ru.maxUnavailable ?? 0,
        'may not be 0 when `maxSurge` is 0',
      ),
    );
  return out;
}

export const daemonSetKind: KindModule = {
  resource: resource('apps', 'DaemonSet', 'daemonsets', {
    shortNames: ['ds'],
    categories: ['all'],
    subresources: ['status'],
  }),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
  tracksGeneration: true,
  defaults: defaultDaemonSet,
  prepareForCreate(o) {
    o.status = {
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
    };
  },
  validate: validateDaemonSet,
  validateUpdate: validateSelectorUpdate,
  printer: {
    columns: [
      NAME,
      col('Desired', 'The desired number of scheduled pods.', { type: 'integer' }),
      col('Current', 'The number of nodes running at least one daemon pod.', { type: 'integer' }),
      col('Ready', 'The number of nodes with a ready daemon pod.', { type: 'integer' }),
      col('Up-to-date', 'The number of nodes running the updated daemon pod.', {
        type: 'integer',
      }),
      col('Available', 'The number of nodes with an available daemon pod.', { type: 'integer' }),
      col('Node Selector', 'The node selector of the pod template.'),
      AGE,
      ...WORKLOAD_WIDE,
    ],
    cells: (o, now) => [
      o.metadata.name ?? '',
      num(getPath(o, 'status.desiredNumberScheduled')),
      num(getPath(o, 'status.currentNumberScheduled')),
      num(getPath(o, 'status.numberReady')),
      num(getPath(o, 'status.updatedNumberScheduled')),
      num(getPath(o, 'status.numberAvailable')),
      selectorText(getPath(o, 'spec.template.spec.nodeSelector')),
      created(o, now),
      ...workloadWideCells(o),
    ],
  },
};
