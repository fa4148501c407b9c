// core/v1 PersistentVolume (created by hand: hostPath or local; no dynamic provisioner).
import { childObject, setDefault } from '../../defaults';
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import { getPath, isPlainObject } from '../../object';
import type { StatusCause } from '../../status';
import type { KindModule } from '../kind-module';
import { spec } from '../kind-module';
import { CORE, kindFields } from '../meta';
import { AGE, col, created, NAME, str } from '../printing';
import { resource } from '../resource';
import { ACCESS_MODES, accessModesText } from './persistentvolumeclaim';

const SOURCES = [
  'hostPath',
  'local',
  'nfs',
  'csi',
  'iscsi',
  'fc',
  'rbd',
  'cephfs',
  'cinder',
  'glusterfs',
  'flexVolume',
  'azureFile',
  'azureDisk',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'vsphereVolume',
  'quobyte',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'photonPersistentDisk',
  'flocker',
];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];

function validatePv(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const s = spec(o);
  const modes = Array.isArray(s.accessModes) ? s.accessModes : [];
  if (modes.length === 0)
    out.push(fieldErrors.required('spec.accessModes', 'must specify at least 1 access mode'));
  for (const m of modes)
    if (!ACCESS_MODES.includes(String(m)))
      out.push(fieldErrors.notSupported('spec.accessModes', m, ACCESS_MODES));
  if (getPath(s, 'capacity.storage') == null) out.push(fieldErrors.required('spec.capacity'));
  const sources = SOURCES.filter((k) => isPlainObject(s[k]));
  if (sources.length === 0) out.push(fieldErrors.required('spec', 'must specify a volume type'));
  else if (sources.length > 1)
    out.push(
      fieldErrors.forbidden(`spec.${sources[1]}`, 'may not specify more than 1 volume type'),
    );
  const policy = s.persistentVolumeReclaimPolicy;
  if (policy != null && !RECLAIM_POLICIES.includes(String(policy)))
    out.push(
      fieldErrors.notSupported('spec.persistentVolumeReclaimPolicy', policy, RECLAIM_POLICIES),
    );
  if (isPlainObject(s.local) && !isPlainObject(s.nodeAffinity))
    out.push(fieldErrors.required('spec.nodeAffinity', 'Local volume requires node affinity'));
  return out;
}

function claimText(o: KubeObject): string {
  const ref = getPath(o, 'spec.claimRef');
  return isPlainObject(ref) ? `${String(ref.namespace ?? '')}/${String(ref.name ?? '')}` : '';
}

export const persistentVolumeKind: KindModule = {
  resource: resource('', 'PersistentVolume', 'persistentvolumes', {
    shortNames: ['pv'],
    namespaced: false,
    subresources: ['status'],
  }),
  definitions: {
    [`${CORE}PersistentVolume`]: {
      description: 'PersistentVolume (PV) is a storage resource provisioned by an administrator.',
      fields: kindFields({ spec: `#${CORE}PersistentVolumeSpec`, status: 'any' }),
      gvk: { group: '', version: 'v1', kind: 'PersistentVolume' },
    },
    [`${CORE}PersistentVolumeSpec`]: {
      description: 'PersistentVolumeSpec is the specification of a persistent volume.',
      fields: {
        capacity: 'map:quantity',
        accessModes: '[]string',
        claimRef: 'any',
        persistentVolumeReclaimPolicy: 'string',
        storageClassName: 'string',
        mountOptions: '[]string',
        volumeMode: 'string',
        nodeAffinity: 'any',
        volumeAttributesClassName: 'string',
        ...Object.fromEntries(SOURCES.map((k) => [k, 'any'])),
      },
      listTypes: { accessModes: { type: 'atomic' } },
    },
  },
  defaults(o) {
    const s = childObject(o, 'spec');
    setDefault(s, 'persistentVolumeReclaimPolicy', 'Retain');
    setDefault(s, 'volumeMode', 'Filesystem');
  },
  prepareForCreate(o) {
    o.status = { phase: 'Pending' };
  },
  validate: validatePv,
  printer: {
    columns: [
      NAME,
      col('Capacity', 'The capacity of the volume.'),
      col('Access Modes', 'The access modes of the volume.'),
      col('Reclaim Policy', 'What happens to the volume when its claim goes.'),
      col('Status', 'The phase of the volume.'),
      col('Claim', 'The claim bound to the volume.'),
      col('StorageClass', 'The storage class of the volume.'),
      col('VolumeAttributesClass', 'The volume attributes class of the volume.'),
      col('Reason', 'Why the volume is in its phase.'),
      AGE,
      col('VolumeMode', 'Filesystem or Block.', { priority: 1 }),
    ],
    cells: (o, now) => [
      o.metadata.name ?? '',
      str(getPath(o, 'spec.capacity.storage'), ''),
      accessModesText(getPath(o, 'spec.accessModes')),
      str(getPath(o, 'spec.persistentVolumeReclaimPolicy'), ''),
      str(getPath(o, 'status.phase'), ''),
      claimText(o),
      str(getPath(o, 'spec.storageClassName'), ''),
      str(getPath(o, 'spec.volumeAttributesClassName')),
      str(getPath(o, 'status.reason'), ''),
      created(o, now),
      str(getPath(o, 'spec.volumeMode'), ''),
    ],
  },
};
