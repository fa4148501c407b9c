import { humanDuration } from './age';
import { findResource, RESOURCES } from './catalog';
import type { KubeObject } from './object';
import { podStatusReason, toTable } from './table';

const now = new Date('2024-05-01T12:00:00Z');
const ago = (seconds: number) =>
  new Date(now.getTime() - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

type Table = {
  kind: string;
  apiVersion: string;
  columnDefinitions: {
    name: string;
    type: string;
    format: string;
    priority: number;
    description: string;
  }[];
  rows: { cells: unknown[]; object?: Record<string, unknown> }[];
};

function table(
  plural: string,
  group: string,
  objects: KubeObject[],
  includeObject?: 'None' | 'Metadata' | 'Object',
): Table {
  return toTable(findResource(group, 'v1', plural)!, objects, {
    now,
    includeObject,
  }) as unknown as Table;
}

const names = (t: Table, priority = 0) =>
  t.columnDefinitions.filter((c) => c.priority === priority).map((c) => c.name.toUpperCase());

describe('ages', () => {
  it.each([
    [5, '5s'],
    [119, '119s'],
    [200, '3m20s'],
    [600, '10m'],
    [3 * 3600 + 5 * 60, '3h5m'],
    [20 * 3600, '20h'],
    [2 * 86400, '2d'],
    [3 * 86400 + 4 * 3600, '3d4h'],
    [30 * 86400, '30d'],
    [3 * 365 * 86400, '3y'],
  ])('%ds -> %s', (s, text) => {
    expect(humanDuration(s * 1000)).toBe(text);
  });
});

describe('tables', () => {
  it('pods: columns, wide columns and cells', () => {
    const pod: KubeObject = {
      metadata: { name: 'web', namespace: 'default', creationTimestamp: ago(200) },
      spec: { nodeName: 'n1', containers: [{ name: 'a' }, { name: 'b' }] },
      status: {
        phase: 'Running',
        podIP: '10.0.0.5',
        containerStatuses: [
          { name: 'a', ready: true, restartCount: 1, state: { running: {} } },
          {
            name: 'b',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
          },
        ],
      },
    };
    const t = table('pods', '', [pod]);
    expect(t.kind).toBe('Table');
    expect(t.apiVersion).toBe('meta.k8s.io/v1');
    expect(names(t)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(names(t, 1)).toEqual(['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    expect(t.columnDefinitions[0]).toMatchObject({
      name: 'Name',
      type: 'string',
      format: 'name',
      priority: 0,
    });
    expect(t.rows[0].cells).toEqual([
      'web',
      '1/2',
      'CrashLoopBackOff',
      '1',
      '3m20s',
      '10.0.0.5',
      'n1',
      '<none>',
      '<none>',
    ]);
    expect(t.rows[0].object).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: pod.metadata,
    });
  });

  it('pod status reasons', () => {
    expect(podStatusReason({ metadata: {}, status: { phase: 'Pending' } })).toBe('Pending');
    expect(
      podStatusReason({ metadata: { deletionTimestamp: ago(1) }, status: { phase: 'Running' } }),
    ).toBe('Terminating');
    expect(
      podStatusReason({
        metadata: {},
        spec: { initContainers: [{ name: 'i' }] },
        status: {
          phase: 'Pending',
          initContainerStatuses: [{ state: { waiting: { reason: 'PodInitializing' } } }],
        },
      }),
    ).toBe('Init:0/1');
    expect(
      podStatusReason({
        metadata: {},
        status: {
          phase: 'Running',
          containerStatuses: [{ state: { terminated: { exitCode: 2 } } }],
        },
      }),
    ).toBe('ExitCode:2');
  });

  it('includeObject None and Object', () => {
    const o: KubeObject = { metadata: { name: 'a', creationTimestamp: ago(5) } };
    expect(table('namespaces', '', [o], 'None').rows[0]).toEqual({ cells: ['a', '', '5s'] });
    expect(table('namespaces', '', [o], 'Object').rows[0].object).toBe(o);
  });

  it('nodes', () => {
    const t = table('nodes', '', [
      {
        metadata: {
          name: 'n1',
          creationTimestamp: ago(2 * 86400),
          labels: { 'node-role.kubernetes.io/control-plane': '' },
        },
        spec: { unschedulable: true },
        status: {
          conditions: [{ type: 'Ready', status: 'True' }],
          nodeInfo: {
            kubeletVersion: 'v1.32.0',
            osImage: 'Debian',
            kernelVersion: '6.1',
            containerRuntimeVersion: 'flotilla://1',
          },
          addresses: [{ type: 'InternalIP', address: '192.168.1.2' }],
        },
      },
    ]);
    expect(names(t)).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    expect(t.rows[0].cells.slice(0, 6)).toEqual([
      'n1',
      'Ready,SchedulingDisabled',
      'control-plane',
      '2d',
      'v1.32.0',
      '192.168.1.2',
    ]);
  });

  it('services', () => {
    const t = table('services', '', [
      {
        metadata: { name: 'web', creationTimestamp: ago(60) },
        spec: {
          type: 'NodePort',
          clusterIP: '10.96.0.10',
          ports: [
            { port: 80, nodePort: 30080, protocol: 'TCP' },
            { port: 53, protocol: 'UDP' },
          ],
          selector: { app: 'web' },
        },
      },
    ]);
    expect(names(t)).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    expect(t.rows[0].cells).toEqual([
      'web',
      'NodePort',
      '10.96.0.10',
      '<none>',
      '80:30080/TCP,53/UDP',
      '60s',
      'app=web',
    ]);
  });

  it('deployments and replicasets', () => {
    const spec = {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { spec: { containers: [{ name: 'app', image: 'nginx' }] } },
    };
    const d = table('deployments', 'apps', [
      {
        metadata: { name: 'web', creationTimestamp: ago(30) },
        spec,
        status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
      },
    ]);
    expect(names(d)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(d.rows[0].cells).toEqual(['web', '2/3', 3, 2, '30s', 'app', 'nginx', 'app=web']);
    const rs = table('replicasets', 'apps', [
      {
        metadata: { name: 'web-1', creationTimestamp: ago(30) },
        spec,
        status: { replicas: 3, readyReplicas: 1 },
      },
    ]);
    expect(names(rs)).toEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
    expect(rs.rows[0].cells.slice(0, 5)).toEqual(['web-1', 3, 3, 1, '30s']);
  });

  it('namespaces, endpoints, configmaps, leases', () => {
    expect(names(table('namespaces', '', []))).toEqual(['NAME', 'STATUS', 'AGE']);
    const ep = table('endpoints', '', [
      {
        metadata: { name: 'web', creationTimestamp: ago(1) },
        subsets: [
          {
            addresses: [
              { ip: '10.0.0.1' },
              { ip: '10.0.0.2' },
              { ip: '10.0.0.3' },
              { ip: '10.0.0.4' },
            ],
            ports: [{ port: 80 }],
          },
        ],
      },
    ]);
    expect(names(ep)).toEqual(['NAME', 'ENDPOINTS', 'AGE']);
    expect(ep.rows[0].cells[1]).toBe('10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...');
    const cm = table('configmaps', '', [
      { metadata: { name: 'c', creationTimestamp: ago(1) }, data: { a: '1', b: '2' } },
    ]);
    expect(names(cm)).toEqual(['NAME', 'DATA', 'AGE']);
    expect(cm.rows[0].cells).toEqual(['c', 2, '1s']);
    const lease = toTable(
      findResource('coordination.k8s.io', 'v1', 'leases')!,
      [
        {
          metadata: { name: 'kube-scheduler', creationTimestamp: ago(10) },
          spec: { holderIdentity: 'm1' },
        },
      ],
      { now },
    ) as unknown as Table;
    expect(names(lease)).toEqual(['NAME', 'HOLDER', 'AGE']);
    expect(lease.rows[0].cells).toEqual(['kube-scheduler', 'm1', '10s']);
  });

  it('events', () => {
    const t = table('events', '', [
      {
        metadata: { name: 'web.17', creationTimestamp: ago(100) },
        involvedObject: { kind: 'Pod', name: 'web' },
        reason: 'Scheduled',
        message: 'Successfully assigned default/web to n1',
        type: 'Normal',
        source: { component: 'default-scheduler' },
        firstTimestamp: ago(100),
        lastTimestamp: ago(40),
        count: 1,
      },
    ]);
    expect(names(t)).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(t.rows[0].cells).toEqual([
      '40s',
      'Normal',
      'Scheduled',
      'pod/web',
      '',
      'default-scheduler',
      'Successfully assigned default/web to n1',
      '100s',
      1,
      'web.17',
    ]);
  });

  it('every served kind has a table whose rows match its columns', () => {
    for (const r of RESOURCES) {
      const t = toTable(r, [{ metadata: { name: 'x', creationTimestamp: ago(1) } }], {
        now,
      }) as unknown as Table;
      expect(t.rows[0].cells).toHaveLength(t.columnDefinitions.length);
    }
  });
});
