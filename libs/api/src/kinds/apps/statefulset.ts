// apps/v1 StatefulSet: pods with stable names, hostnames and storage, in order.
import { childObject, defaultTemplate, objectList, setDefault } from '../../defaults';
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import { cloneJson, getPath, isPlainObject, jsonEqual } from '../../object';
import type { StatusCause } from '../../status';
import { nonNegative, validateWorkload } from '../../validate-kinds';
import { defaultClaimSpec, validateClaimSpec } from '../core/persistentvolumeclaim';
import { declareKind } from '../declare';
import type { KindModule } from '../kind-module';
import { spec } from '../kind-module';
import { APPS, CORE } from '../meta';
import { AGE, col, created, NAME, num, WORKLOAD_WIDE, workloadWideCells } from '../printing';
import { REPLICA_SCALE, resource } from '../resource';

const POD_MANAGEMENT = ['OrderedReady', 'Parallel'];
const STRATEGY_TYPES = ['OnDelete', 'RollingUpdate'];
const RETENTION = ['Delete', 'Retain'];

const declared = declareKind({
  group: 'apps',
  version: 'v1',
  kind: 'StatefulSet',
  package: 'k8s.io.api.apps.v1',
  prefix: APPS,
  refs: { PersistentVolumeClaim: `${CORE}PersistentVolumeClaim` },
  descriptions: {
    StatefulSet:
      'StatefulSet represents a set of pods with consistent identities: network names and storage.',
    StatefulSetSpec: 'A StatefulSetSpec is the specification of a StatefulSet.',
    StatefulSetStatus: 'StatefulSetStatus represents the current state of a StatefulSet.',
  },
  // Fields from k8s.io/api apps/v1 (generated.proto numbers, types.go omitempty).
  messages: {
    StatefulSet: ['1 metadata ObjectMeta', '2 spec StatefulSetSpec', '3 status StatefulSetStatus'],
    StatefulSetSpec: [
      '1 replicas *int32',
      '2 selector! *LabelSelector',
      '3 template! PodTemplateSpec',
      '4 volumeClaimTemplates []PersistentVolumeClaim atomic',
      '5 serviceName! string',
      '6 podManagementPolicy string',
      '7 updateStrategy StatefulSetUpdateStrategy',
      '8 revisionHistoryLimit *int32',
      '9 minReadySeconds int32',
      '10 persistentVolumeClaimRetentionPolicy *StatefulSetPersistentVolumeClaimRetentionPolicy',
      '11 ordinals *StatefulSetOrdinals',
    ],
    StatefulSetUpdateStrategy: [
      '1 type string',
      '2 rollingUpdate *RollingUpdateStatefulSetStrategy',
    ],
    RollingUpdateStatefulSetStrategy: ['1 partition *int32', '2 maxUnavailable *IntOrString'],
    StatefulSetPersistentVolumeClaimRetentionPolicy: [
      '1 whenDeleted string',
      '2 whenScaled string',
    ],
    StatefulSetOrdinals: ['1 start! int32'],
    StatefulSetStatus: [
      '1 observedGeneration int64',
      '2 replicas! int32',
      '3 readyReplicas int32',
      '4 currentReplicas int32',
      '5 updatedReplicas int32',
      '6 currentRevision string',
      '7 updateRevision string',
      '9 collisionCount *int32',
      '10 conditions []StatefulSetCondition merge=type map=type',
      '11 availableReplicas! int32',
    ],
    StatefulSetList: ['1 metadata ListMeta', '2 items! []StatefulSet'],
    StatefulSetCondition: [
      '1 type! string',
      '2 status! string',
      '3 lastTransitionTime Time',
      '4 reason string',
      '5 message string',
    ],
  },
});

function defaultStatefulSet(o: KubeObject): void {
  const s = childObject(o, 'spec');
  setDefault(s, 'replicas', 1);
  setDefault(s, 'podManagementPolicy', 'OrderedReady');
  const strategy = childObject(s, 'updateStrategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate')
    setDefault(childObject(strategy, 'rollingUpdate'), 'partition', 0);
  setDefault(s, 'revisionHistoryLimit', 10);
  const retention = childObject(s, 'persistentVolumeClaimRetentionPolicy');
  setDefault(retention, 'whenDeleted', 'Retain');
  setDefault(retention, 'whenScaled', 'Retain');
  for (const claim of objectList(s.volumeClaimTemplates)) {
    defaultClaimSpec(childObject(claim, 'spec'));
    setDefault(claim, 'status', { phase: 'Pending' });
  }
  defaultTemplate(s);
}

function validateStatefulSet(o: KubeObject): StatusCause[] {
  const out = validateWorkload(o).map((c) =>
    c.message === 'Invalid value: {}: empty selector is invalid for deployment'
      ? { ...c, message: 'Invalid value: {}: empty selector is invalid for statefulset' }
      : c,
  );
  const s = spec(o);
  if (typeof s.serviceName !== 'string' || s.serviceName === '')
    out.push(fieldErrors.required('spec.serviceName'));
  if (s.podManagementPolicy != null && !POD_MANAGEMENT.includes(String(s.podManagementPolicy)))
    out.push(
      fieldErrors.notSupported('spec.podManagementPolicy', s.podManagementPolicy, POD_MANAGEMENT),
    );
  nonNegative(s.revisionHistoryLimit, 'spec.revisionHistoryLimit', out);
  const strategy = isPlainObject(s.updateStrategy) ? s.updateStrategy : {};
  if (strategy.type !== undefined && !STRATEGY_TYPES.includes(String(strategy.type)))
    out.push(fieldErrors.notSupported('spec.updateStrategy.type', strategy.type, STRATEGY_TYPES));
  if (strategy.type === 'OnDelete' && strategy.rollingUpdate != null)
    out.push(
      fieldErrors.invalid(
        'spec.updateStrategy.rollingUpdate',
        strategy.rollingUpdate,
        "only allowed for updateStrategy 'RollingUpdate'",
      ),
    );
  nonNegative(
    getPath(strategy, 'rollingUpdate.partition'),
    'spec.updateStrategy.rollingUpdate.partition',
    out,
  );
  const retention = isPlainObject(s.persistentVolumeClaimRetentionPolicy)
    ? s.persistentVolumeClaimRetentionPolicy
    : {};
  for (const k of ['whenDeleted', 'whenScaled'])
    if (retention[k] != null && !RETENTION.includes(String(retention[k])))
      out.push(
        fieldErrors.notSupported(
          `spec.persistentVolumeClaimRetentionPolicy.${k}`,
          retention[k],
          RETENTION,
        ),
      );
  nonNegative(getPath(s, 'ordinals.start'), 'spec.ordinals.start', out);
  objectList(s.volumeClaimTemplates).forEach((claim, i) => {
    const at = `spec.volumeClaimTemplates[${i}]`;
    if (!getPath(claim, 'metadata.name')) out.push(fieldErrors.required(`${at}.metadata.name`));
    out.push(...validateClaimSpec(isPlainObject(claim.spec) ? claim.spec : {}, `${at}.spec`));
  });
  return out;
}

const UPDATABLE = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];

function validateStatefulSetUpdate(next: KubeObject, prev: KubeObject): StatusCause[] {
  const n = cloneJson(spec(next));
  const p = cloneJson(spec(prev));
  for (const k of UPDATABLE) {
    delete n[k];
    delete p[k];
  }
  if (jsonEqual(n, p)) return [];
  return [
    fieldErrors.forbidden(
      'spec',
      "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ),
  ];
}

export const statefulSetKind: KindModule = {
  resource: resource('apps', 'StatefulSet', 'statefulsets', {
    shortNames: ['sts'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    scale: REPLICA_SCALE,
  }),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
  tracksGeneration: true,
  defaults: defaultStatefulSet,
  prepareForCreate(o) {
    o.status = { replicas: 0, availableReplicas: 0 };
  },
  validate: validateStatefulSet,
  validateUpdate: validateStatefulSetUpdate,
  printer: {
    columns: [
      NAME,
      col('Ready', 'Ready replicas out of desired replicas.'),
      AGE,
      ...WORKLOAD_WIDE.slice(0, 2),
    ],
    cells: (o, now) => [
      o.metadata.name ?? '',
      `${num(getPath(o, 'status.readyReplicas'))}/${num(getPath(o, 'spec.replicas'))}`,
      created(o, now),
      ...workloadWideCells(o).slice(0, 2),
    ],
  },
};
