// apps/v1 ReplicaSet.
import type { MessageTable } from '../../protobuf/schema';
import { childObject, defaultTemplate, setDefault } from '../../defaults';
import { getPath } from '../../object';
import { validateSelectorUpdate, validateWorkload } from '../../validate-kinds';
import type { KindModule } from '../kind-module';
import { APPS, BY_TYPE, CORE, META, kindFields } from '../meta';
import { AGE, col, created, NAME, num, WORKLOAD_WIDE, workloadWideCells } from '../printing';
import { REPLICA_SCALE, resource } from '../resource';

/** Protobuf field tables (generated.proto numbers, types.go pointers and omitempty). */
export const REPLICASET_PROTOBUF: MessageTable = {
  package: 'k8s.io.api.apps.v1',
  messages: {
    ReplicaSet: ['1 metadata ObjectMeta', '2 spec ReplicaSetSpec', '3 status ReplicaSetStatus'],
    ReplicaSetSpec: [
      '1 replicas *int32',
      '4 minReadySeconds int32',
      '2 selector! *LabelSelector',
      '3 template PodTemplateSpec',
    ],
    ReplicaSetStatus: [
      '1 replicas! int32',
      '2 fullyLabeledReplicas int32',
      '4 readyReplicas int32',
      '5 availableReplicas int32',
      '7 terminatingReplicas *int32',
      '3 observedGeneration int64',
      '6 conditions []ReplicaSetCondition',
    ],
    ReplicaSetCondition: [
      '1 type! string',
      '2 status! string',
      '3 lastTransitionTime Time',
      '4 reason string',
      '5 message string',
    ],
    ReplicaSetList: ['1 metadata ListMeta', '2 items! []ReplicaSet'],
  },
};

export const replicaSetKind: KindModule = {
  resource: resource('apps', 'ReplicaSet', 'replicasets', {
    shortNames: ['rs'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    scale: REPLICA_SCALE,
  }),
  definitions: {
    [`${APPS}ReplicaSet`]: {
      description: 'Ensures that a number of pod replicas are running.',
      fields: kindFields({ spec: `#${APPS}ReplicaSetSpec`, status: 'any' }),
      gvk: { group: 'apps', version: 'v1', kind: 'ReplicaSet' },
      statusLists: { conditions: BY_TYPE },
    },
    [`${APPS}ReplicaSetSpec`]: {
      description: 'The desired behavior of a replica set.',
      fields: {
        replicas: 'integer',
        minReadySeconds: 'integer',
        selector: `#${META}LabelSelector`,
        template: `#${CORE}PodTemplateSpec`,
      },
      required: ['selector'],
    },
  },
  tracksGeneration: true,
  statusKeepsLabels: true,
  selectableFields: ['status.replicas'],
  defaults(o) {
    const spec = childObject(o, 'spec');
    setDefault(spec, 'replicas', 1);
    defaultTemplate(spec);
  },
  prepareForCreate(o) {
    o.status = {};
  },
  validate: validateWorkload,
  validateUpdate: validateSelectorUpdate,
  printer: {
    columns: [
      NAME,
      col('Desired', 'The number of replicas wanted.', { type: 'integer' }),
      col('Current', 'The number of replicas that exist.', { type: 'integer' }),
      col('Ready', 'The number of ready replicas.', { type: 'integer' }),
      AGE,
      ...WORKLOAD_WIDE,
    ],
    cells: (o, now) => [
      o.metadata.name ?? '',
      num(getPath(o, 'spec.replicas')),
      num(getPath(o, 'status.replicas')),
      num(getPath(o, 'status.readyReplicas')),
      created(o, now),
      ...workloadWideCells(o),
    ],
  },
  protobuf: REPLICASET_PROTOBUF,
};
