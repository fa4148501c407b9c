// core/v1 PersistentVolume (created by hand: hostPath or local; no dynamic provisioner).
import { childObject, setDefault } from '../../defaults';
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import { getPath, isPlainObject } from '../../object';
import type { StatusCause } from '../../status';
import type { KindModule } from '../kind-module';
import { spec } from '../kind-module';
import { declareKind } from '../declare';
import { CORE } from '../meta';
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

// Field tables: k8s.io/api core/v1 generated.proto numbers, types.go pointers and omitempty. The
// pod volume sources a PV shares (hostPath, nfs, fc, ...) are in the shared core/v1 table.
const declared = declareKind({
  group: '',
  version: 'v1',
  kind: 'PersistentVolume',
  package: 'k8s.io.api.core.v1',
  prefix: CORE,
  descriptions: {
    PersistentVolume:
      'PersistentVolume (PV) is a storage resource provisioned by an administrator.',
    PersistentVolumeSpec: 'PersistentVolumeSpec is the specification of a persistent volume.',
    PersistentVolumeStatus: 'PersistentVolumeStatus is the current status of a persistent volume.',
  },
  messages: {
    PersistentVolume: [
      '1 metadata ObjectMeta',
      '2 spec PersistentVolumeSpec',
      '3 status PersistentVolumeStatus',
    ],
    PersistentVolumeSpec: [
      '1 capacity map[string]Quantity',
      '2 inline PersistentVolumeSource',
      '3 accessModes []string atomic',
      '4 claimRef *ObjectReference',
      '5 persistentVolumeReclaimPolicy string',
      '6 storageClassName string',
      '7 mountOptions []string atomic',
      '8 volumeMode *string',
      '9 nodeAffinity *VolumeNodeAffinity',
      '10 volumeAttributesClassName *string',
    ],
    PersistentVolumeSource: [
      '1 gcePersistentDisk *GCEPersistentDiskVolumeSource',
      '2 awsElasticBlockStore *AWSElasticBlockStoreVolumeSource',
      '3 hostPath *HostPathVolumeSource',
      '4 glusterfs *GlusterfsPersistentVolumeSource',
      '5 nfs *NFSVolumeSource',
      '6 rbd *RBDPersistentVolumeSource',
      '7 iscsi *ISCSIPersistentVolumeSource',
      '8 cinder *CinderPersistentVolumeSource',
      '9 cephfs *CephFSPersistentVolumeSource',
      '10 fc *FCVolumeSource',
      '11 flocker *FlockerVolumeSource',
      '12 flexVolume *FlexPersistentVolumeSource',
      '13 azureFile *AzureFilePersistentVolumeSource',
      '14 vsphereVolume *VsphereVirtualDiskVolumeSource',
      '15 quobyte *QuobyteVolumeSource',
      '16 azureDisk *AzureDiskVolumeSource',
      '17 photonPersistentDisk *PhotonPersistentDiskVolumeSource',
      '18 portworxVolume *PortworxVolumeSource',
      '19 scaleIO *ScaleIOPersistentVolumeSource',
      '20 local *LocalVolumeSource',
      '21 storageos *StorageOSPersistentVolumeSource',
      '22 csi *CSIPersistentVolumeSource',
    ],
    VolumeNodeAffinity: ['1 required *NodeSelector'],
    GlusterfsPersistentVolumeSource: [
      '1 endpoints! string',
      '2 path! string',
      '3 readOnly bool',
      '4 endpointsNamespace *string',
    ],
    RBDPersistentVolumeSource: [
      '1 monitors! []string atomic',
      '2 image! string',
      '3 fsType string',
      '4 pool string',
      '5 user string',
      '6 keyring string',
      '7 secretRef *SecretReference',
      '8 readOnly bool',
    ],
    ISCSIPersistentVolumeSource: [
      '1 targetPortal! string',
      '2 iqn! string',
      '3 lun! int32',
      '4 iscsiInterface string',
      '5 fsType string',
      '6 readOnly bool',
      '7 portals []string atomic',
      '8 chapAuthDiscovery bool',
      '11 chapAuthSession bool',
      '10 secretRef *SecretReference',
      '12 initiatorName *string',
    ],
    CinderPersistentVolumeSource: [
      '1 volumeID! string',
      '2 fsType string',
      '3 readOnly bool',
      '4 secretRef *SecretReference',
    ],
    CephFSPersistentVolumeSource: [
      '1 monitors! []string atomic',
      '2 path string',
      '3 user string',
      '4 secretFile string',
      '5 secretRef *SecretReference',
      '6 readOnly bool',
    ],
    FlexPersistentVolumeSource: [
      '1 driver! string',
      '2 fsType string',
      '3 secretRef *SecretReference',
      '4 readOnly bool',
      '5 options map[string]string',
    ],
    AzureFilePersistentVolumeSource: [
      '1 secretName! string',
      '2 shareName! string',
      '3 readOnly bool',
      '4 secretNamespace! *string',
    ],
    ScaleIOPersistentVolumeSource: [
      '1 gateway! string',
      '2 system! string',
      '3 secretRef! *SecretReference',
      '4 sslEnabled bool',
      '5 protectionDomain string',
      '6 storagePool string',
      '7 storageMode string',
      '8 volumeName string',
      '9 fsType string',
      '10 readOnly bool',
    ],
    LocalVolumeSource: ['1 path! string', '2 fsType *string'],
    StorageOSPersistentVolumeSource: [
      '1 volumeName string',
      '2 volumeNamespace string',
      '3 fsType string',
      '4 readOnly bool',
      '5 secretRef *ObjectReference',
    ],
    CSIPersistentVolumeSource: [
      '1 driver! string',
      '2 volumeHandle! string',
      '3 readOnly bool',
      '4 fsType string',
      '5 volumeAttributes map[string]string',
      '6 controllerPublishSecretRef *SecretReference',
      '7 nodeStageSecretRef *SecretReference',
      '8 nodePublishSecretRef *SecretReference',
      '9 controllerExpandSecretRef *SecretReference',
      '10 nodeExpandSecretRef *SecretReference',
    ],
    SecretReference: ['1 name string', '2 namespace string'],
    PersistentVolumeStatus: [
      '1 phase string',
      '2 message string',
      '3 reason string',
      '4 lastPhaseTransitionTime *Time',
    ],
    PersistentVolumeList: ['1 metadata ListMeta', '2 items! []PersistentVolume'],
  },
});

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
  definitions: declared.definitions,
  protobuf: declared.protobuf,
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
