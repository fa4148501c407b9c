// StatefulSets, ControllerRevisions, PersistentVolumeClaims, PersistentVolumes and Leases as protobuf:
// every field travels and comes back as JSON, with the field numbers of k8s.io/api's
// generated.proto (checked on the wire for the ones a mistake would silently swap).
import { findResource } from '../catalog';
import type { KubeObject } from '../object';
import {
  decodeKubernetesProtobuf,
  encodeKubernetesProtobuf,
  encodeMessage,
  ProtoReader,
  protobufKinds,
} from '../protobuf';
import { prepareForCreate } from '../strategy';

const ctx = { now: new Date('2025-01-01T00:00:00Z'), newUid: () => 'uid-1', namespace: 'default' };
const roundTrip = (o: KubeObject) =>
  decodeKubernetesProtobuf(encodeKubernetesProtobuf(o as never)) as unknown as KubeObject;

/** Field number -> wire values of one message, for checking numbers by hand. */
function fields(bytes: Uint8Array): Map<number, (number | Uint8Array)[]> {
  const out = new Map<number, (number | Uint8Array)[]>();
  const r = new ProtoReader(bytes, 0);
  while (!r.done) {
    const { no, wire } = r.tag();
    const value = wire === 0 ? r.uint64() : r.bytes();
    out.set(no, [...(out.get(no) ?? []), value]);
  }
  return out;
}
const text = (b: number | Uint8Array) => Buffer.from(b as Uint8Array).toString();

describe('storage and history kinds as protobuf', () => {
  it('covers StatefulSet, ControllerRevision, PersistentVolumeClaim and PersistentVolume', () => {
    expect(protobufKinds()).toEqual(
      expect.arrayContaining([
        'apps/v1/StatefulSet',
        'apps/v1/ControllerRevision',
        'v1/PersistentVolumeClaim',
        'v1/PersistentVolume',
        'coordination.k8s.io/v1/Lease',
      ]),
    );
  });

  it('carries a StatefulSet with its claim templates, strategy and status', () => {
    const sts = prepareForCreate(
      findResource('apps', 'v1', 'statefulsets')!,
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db', namespace: 'default' },
        spec: {
          replicas: 3,
          serviceName: 'db',
          podManagementPolicy: 'Parallel',
          selector: { matchLabels: { app: 'db' } },
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } },
          persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
          ordinals: { start: 1 },
          template: {
            metadata: { labels: { app: 'db' } },
            spec: { containers: [{ name: 'c', image: 'postgres:16' }] },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: 'data' },
              spec: {
                accessModes: ['ReadWriteOnce'],
                resources: { requests: { storage: '1Gi' } },
              },
            },
          ],
        },
      },
      ctx,
    );
    const withStatus: KubeObject = {
      ...sts,
      status: {
        observedGeneration: 2,
        replicas: 3,
        readyReplicas: 2,
        currentReplicas: 1,
        updatedReplicas: 2,
        currentRevision: 'db-a',
        updateRevision: 'db-b',
        collisionCount: 0,
        availableReplicas: 2,
      },
    };
    const back = roundTrip(withStatus);
    // An empty struct (the defaulted `resources: {}`) is not on the wire, as for every kind.
    const spec = JSON.parse(JSON.stringify(withStatus.spec)) as {
      template: { spec: { containers: Record<string, unknown>[] } };
    };
    delete spec.template.spec.containers[0].resources;
    expect(back.spec).toEqual(spec);
    expect(back.status).toEqual(withStatus.status);
    // spec.serviceName is field 5, podManagementPolicy 6; status.updateRevision 7.
    const top = fields(encodeMessage('StatefulSet', withStatus as never));
    const specFields = fields(top.get(2)![0] as Uint8Array);
    expect(text(specFields.get(5)![0])).toBe('db');
    expect(text(specFields.get(6)![0])).toBe('Parallel');
    expect(text(fields(top.get(3)![0] as Uint8Array).get(7)![0])).toBe('db-b');
  });

  it('carries a ControllerRevision: data as raw JSON (field 2), revision as field 3', () => {
    const rev: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name: 'agent-5d4f', namespace: 'default' },
      data: {
        spec: { template: { $patch: 'replace', spec: { containers: [{ name: 'c' }] } } },
      },
      revision: 3,
    };
    expect(roundTrip(rev)).toEqual(rev);
    const wire = fields(encodeMessage('ControllerRevision', rev as never));
    expect(wire.get(3)).toEqual([3]);
    // RawExtension { raw = 1 }: the JSON itself.
    const raw = fields(wire.get(2)![0] as Uint8Array).get(1)![0];
    expect(JSON.parse(text(raw))).toEqual(rev.data);
  });

  it('carries a bound PersistentVolumeClaim and a local PersistentVolume', () => {
    const pvc: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data-db-0', namespace: 'default' },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        volumeName: 'pv-1',
        storageClassName: 'local',
        volumeMode: 'Filesystem',
      },
      status: {
        phase: 'Bound',
        accessModes: ['ReadWriteOnce'],
        capacity: { storage: '5Gi' },
        conditions: [
          {
            type: 'Resizing',
            status: 'True',
            lastTransitionTime: '2025-01-01T00:00:00Z',
          },
        ],
      },
    };
    expect(roundTrip(pvc)).toEqual(pvc);
    const pv: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'pv-1' },
      spec: {
        capacity: { storage: '5Gi' },
        local: { path: '/mnt/disks/ssd1' },
        accessModes: ['ReadWriteOnce'],
        claimRef: { kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data-db-0' },
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: 'local',
        mountOptions: ['noatime'],
        volumeMode: 'Filesystem',
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: 'kubernetes.io/hostname', operator: 'In', values: ['w1'] },
                ],
              },
            ],
          },
        },
      },
      status: { phase: 'Bound', lastPhaseTransitionTime: '2025-01-01T00:00:00Z' },
    };
    expect(roundTrip(pv)).toEqual(pv);
    // PersistentVolumeSource sits inline in the spec as field 2; local is its field 20.
    const spec = fields(fields(encodeMessage('PersistentVolume', pv as never)).get(2)![0] as never);
    const source = fields(spec.get(2)![0] as Uint8Array);
    expect(text(fields(source.get(20)![0] as Uint8Array).get(1)![0])).toBe('/mnt/disks/ssd1');
    const hostPath = { ...pv, spec: { ...(pv.spec as object), local: undefined } } as KubeObject;
    delete (hostPath.spec as Record<string, unknown>).local;
    (hostPath.spec as Record<string, unknown>).hostPath = {
      path: '/data',
      type: 'DirectoryOrCreate',
    };
    expect(roundTrip(hostPath)).toEqual(hostPath);
  });
  it('carries a Lease, its times with microseconds (metav1.MicroTime)', () => {
    const lease: KubeObject = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'kube-controller-manager', namespace: 'kube-system' },
      spec: {
        holderIdentity: 'm1_0b8e',
        leaseDurationSeconds: 15,
        acquireTime: '2025-01-01T00:00:00.000000Z',
        renewTime: '2025-01-01T00:00:07.123456Z',
        leaseTransitions: 0,
      },
    };
    expect(roundTrip(lease)).toEqual(lease);
    // renewTime is field 4: seconds 1735689607, nanos 123456000.
    const spec = fields(fields(encodeMessage('Lease', lease as never)).get(2)![0] as Uint8Array);
    const renew = fields(spec.get(4)![0] as Uint8Array);
    expect(renew.get(1)).toEqual([1735689607]);
    expect(renew.get(2)).toEqual([123456000]);
    // A pointer zero is still sent: leaseTransitions 0 is field 5.
    expect(spec.get(5)).toEqual([0]);
  });
});
