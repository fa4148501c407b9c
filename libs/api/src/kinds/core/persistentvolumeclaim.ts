// core/v1 PersistentVolumeClaim (StatefulSets' volumeClaimTemplates become these).
import { childObject, setDefault } from '../../defaults';
import { fieldErrors } from '../../field-errors';
import type { JsonObject, KubeObject } from '../../object';
import { cloneJson, getPath, isPlainObject, jsonEqual } from '../../object';
import type { StatusCause } from '../../status';
import type { Definition, KindModule } from '../kind-module';
import { spec } from '../kind-module';
import { CORE, META } from '../meta';
import { declareKind } from '../declare';
import { AGE, col, created, NAME, str } from '../printing';
import { resource } from '../resource';

export const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];
const SHORT_MODES: Record<string, string> = {
  ReadWriteOnce: 'RWO',
  ReadOnlyMany: 'ROX',
  ReadWriteMany: 'RWX',
  ReadWriteOncePod: 'RWOP',
};

/** Access modes as kubectl prints them: RWO,ROX,RWX,RWOP. */
export function accessModesText(modes: unknown): string {
  if (!Array.isArray(modes) || modes.length === 0) return '';
  return modes.map((m) => SHORT_MODES[String(m)] ?? String(m)).join(',');
}

// Field tables: k8s.io/api core/v1 generated.proto numbers, types.go pointers and omitempty.
// PersistentVolumeClaimSpec's protobuf is in the shared core/v1 table (pods' ephemeral volumes use it).
const declared = declareKind({
  group: '',
  version: 'v1',
  kind: 'PersistentVolumeClaim',
  package: 'k8s.io.api.core.v1',
  prefix: CORE,
  refs: { PersistentVolumeClaimSpec: `${CORE}PersistentVolumeClaimSpec` },
  descriptions: {
    PersistentVolumeClaim:
      "PersistentVolumeClaim is a user's request for and claim to a persistent volume.",
    PersistentVolumeClaimStatus:
      'PersistentVolumeClaimStatus is the current status of a persistent volume claim.',
  },
  messages: {
    PersistentVolumeClaim: [
      '1 metadata ObjectMeta',
      '2 spec PersistentVolumeClaimSpec',
      '3 status PersistentVolumeClaimStatus',
    ],
    PersistentVolumeClaimStatus: [
      '1 phase string',
      '2 accessModes []string atomic',
      '3 capacity map[string]Quantity',
      '4 conditions []PersistentVolumeClaimCondition merge=type map=type',
      '5 allocatedResources map[string]Quantity',
      '7 allocatedResourceStatuses map[string]string',
      '8 currentVolumeAttributesClassName *string',
      '9 modifyVolumeStatus *ModifyVolumeStatus',
    ],
    PersistentVolumeClaimCondition: [
      '1 type! string',
      '2 status! string',
      '3 lastProbeTime Time',
      '4 lastTransitionTime Time',
      '5 reason string',
      '6 message string',
    ],
    ModifyVolumeStatus: ['1 targetVolumeAttributesClassName string', '2 status! string'],
    PersistentVolumeClaimList: ['1 metadata ListMeta', '2 items! []PersistentVolumeClaim'],
  },
});

export const PVC_DEFINITIONS: Record<string, Definition> = {
  ...declared.definitions,
  [`${CORE}PersistentVolumeClaimSpec`]: {
    description: 'PersistentVolumeClaimSpec describes the common attributes of storage devices.',
    fields: {
      accessModes: '[]string',
      selector: `#${META}LabelSelector`,
      resources: `#${CORE}VolumeResourceRequirements`,
      volumeName: 'string',
      storageClassName: 'string',
      volumeMode: 'string',
      dataSource: 'any',
      dataSourceRef: 'any',
      volumeAttributesClassName: 'string',
    },
    listTypes: { accessModes: { type: 'atomic' } },
  },
  [`${CORE}VolumeResourceRequirements`]: {
    description:
      'VolumeResourceRequirements describes the storage resource requirements for a volume.',
    fields: { limits: 'map:quantity', requests: 'map:quantity' },
  },
};

/** SetDefaults_PersistentVolumeClaimSpec, shared with StatefulSets' claim templates. */
export function defaultClaimSpec(s: JsonObject): void {
  setDefault(s, 'volumeMode', 'Filesystem');
}

/** ValidatePersistentVolumeClaimSpec, at `at` (spec, or a StatefulSet's template). */
export function validateClaimSpec(s: JsonObject, at: string): StatusCause[] {
  const out: StatusCause[] = [];
  const modes = Array.isArray(s.accessModes) ? s.accessModes : [];
  if (modes.length === 0)
    out.push(fieldErrors.required(`${at}.accessModes`, 'at least 1 access mode is required'));
  for (const m of modes)
    if (!ACCESS_MODES.includes(String(m)))
      out.push(fieldErrors.notSupported(`${at}.accessModes`, m, ACCESS_MODES));
  const storage = getPath(s, 'resources.requests.storage');
  if (storage === undefined || storage === null)
    out.push(fieldErrors.required(`${at}.resources[storage]`));
  if (s.volumeMode != null && !VOLUME_MODES.includes(String(s.volumeMode)))
    out.push(fieldErrors.notSupported(`${at}.volumeMode`, s.volumeMode, VOLUME_MODES));
  return out;
}

/** After creation only the requested size (and the binding) may change. */
function validateClaimUpdate(next: KubeObject, prev: KubeObject): StatusCause[] {
  const n = cloneJson(spec(next));
  const p = cloneJson(spec(prev));
  if (!p.volumeName) delete n.volumeName;
  for (const s of [n, p]) {
    if (isPlainObject(s.resources)) delete s.resources.requests;
    delete s.volumeAttributesClassName;
  }
  if (jsonEqual(n, p)) return [];
  return [
    fieldErrors.forbidden(
      'spec',
      'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
    ),
  ];
}

export const persistentVolumeClaimKind: KindModule = {
  resource: resource('', 'PersistentVolumeClaim', 'persistentvolumeclaims', {
    shortNames: ['pvc'],
    subresources: ['status'],
  }),
  definitions: PVC_DEFINITIONS,
  protobuf: declared.protobuf,
  defaults: (o) => defaultClaimSpec(childObject(o, 'spec')),
  prepareForCreate(o) {
    o.status = { phase: 'Pending' };
  },
  validate: (o) => validateClaimSpec(spec(o), 'spec'),
  validateUpdate: validateClaimUpdate,
  printer: {
    columns: [
      NAME,
      col('Status', 'The phase of the claim.'),
      col('Volume', 'The volume bound to the claim.'),
      col('Capacity', 'The capacity of the bound volume.'),
      col('Access Modes', 'The access modes of the bound volume.'),
      col('StorageClass', 'The storage class of the claim.'),
      col('VolumeAttributesClass', 'The volume attributes class of the claim.'),
      AGE,
      col('VolumeMode', 'Filesystem or Block.', { priority: 1 }),
    ],
    cells: (o, now) => [
      o.metadata.name ?? '',
      str(getPath(o, 'status.phase'), ''),
      str(getPath(o, 'spec.volumeName'), ''),
      str(getPath(o, 'status.capacity.storage'), ''),
      accessModesText(getPath(o, 'status.accessModes')),
      str(getPath(o, 'spec.storageClassName'), ''),
      str(getPath(o, 'spec.volumeAttributesClassName')),
      created(o, now),
      str(getPath(o, 'spec.volumeMode'), ''),
    ],
  },
};
