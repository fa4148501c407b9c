import { decodeMessage, encodeMessage } from './codec';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf, protobufMessageFor } from './envelope';
import { ProtobufError } from './errors';
import { messageNames, messageSchema } from './schema';
import { ProtoWriter, WireType } from './wire';

const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const w = () => new ProtoWriter();
const EMPTY = new Uint8Array(0);

function problemOf(fn: () => unknown): { problem: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ProtobufError)) throw err;
    return { problem: err.problem, message: err.message };
  }
  throw new Error('expected a ProtobufError');
}

/** Wraps a message's bytes in the k8s\0 envelope, as client-go does. */
function envelope(apiVersion: string, kind: string, raw: Uint8Array, extra?: ProtoWriter): Buffer {
  const tm = w().tag(1, WireType.Bytes).string(apiVersion).tag(2, WireType.Bytes).string(kind);
  const u = w().tag(1, WireType.Bytes).bytes(tm.finish()).tag(2, WireType.Bytes).bytes(raw);
  u.tag(3, WireType.Bytes).string('').tag(4, WireType.Bytes).string('');
  return Buffer.concat([Buffer.from('k8s\0'), u.finish(), extra?.finish() ?? EMPTY]);
}

/** JSON through protobuf and back. */
const roundTrip = (obj: Record<string, unknown>) =>
  decodeKubernetesProtobuf(encodeKubernetesProtobuf(obj));

// Request bodies captured from the real kubectl 1.32 (its generators send protobuf), and the JSON
// objects they stand for.
const KUBECTL_BODIES: [string, string, Record<string, unknown>][] = [
  [
    'create namespace x',
    'azhzAAoPCgJ2MRIJTmFtZXNwYWNlEhkKEQoBeBIAGgAiACoAMgA4AEIAEgAaAgoAGgAiAA==',
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } },
  ],
  [
    'create configmap c --from-literal=a=b',
    'azhzAAoPCgJ2MRIJQ29uZmlnTWFwEhsKEQoBYxIAGgAiACoAMgA4AEIAEgYKAWESAWIaACIA',
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } },
  ],
  [
    'create configmap files2 --from-file=bin.dat --from-file=text.txt',
    'azhzAAoPCgJ2MRIJQ29uZmlnTWFwEkAKFgoGZmlsZXMyEgAaACIAKgAyADgAQgASEQoIdGV4dC50eHQSBWhlbGxvGhMKB2Jpbi5kYXQSCAABAv/+gGhpGgAiAA==',
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'files2' },
      data: { 'text.txt': 'hello' },
      binaryData: {
        'bin.dat': Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x68, 0x69]).toString('base64'),
      },
    },
  ],
  [
    'create secret generic s --from-literal=a=b',
    'azhzAAoMCgJ2MRIGU2VjcmV0Eh0KEQoBcxIAGgAiACoAMgA4AEIAEgYKAWESAWIaABoAIgA=',
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'Yg==' } },
  ],
  [
    'create secret docker-registry reg --docker-server=r.example --docker-username=u --docker-password=p',
    'azhzAAoMCgJ2MRIGU2VjcmV0EpEBChMKA3JlZxIAGgAiACoAMgA4AEIAEloKES5kb2NrZXJjb25maWdqc29uEkV7ImF1dGhzIjp7InIuZXhhbXBsZSI6eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InAiLCJhdXRoIjoiZFRwdyJ9fX0aHmt1YmVybmV0ZXMuaW8vZG9ja2VyY29uZmlnanNvbhoAIgA=',
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'reg' },
      data: {
        '.dockerconfigjson': Buffer.from(
          '{"auths":{"r.example":{"username":"u","password":"p","auth":"dTpw"}}}',
        ).toString('base64'),
      },
      type: 'kubernetes.io/dockerconfigjson',
    },
  ],
  [
    'create deployment web --image=nginx --replicas=2 --port=80',
    'azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50ErgBCh8KA3dlYhIAGgAiACoAMgA4AEIAWgoKA2FwcBIDd2ViEoYBCAISDAoKCgNhcHASA3dlYhpsChwKABIAGgAiACoAMgA4AEIAWgoKA2FwcBIDd2ViEkwSLgoFbmdpbngSBW5naW54KgAyCgoAEAAYUCIAKgBCAGoAcgCAAQCIAQCQAQCiAQAaADIAQgBKAFIAWABgAGgAggEAigEAmgEAwgEAIgIKACgAOAAaDAgAEAAYACAAKAA4ABoAIgA=',
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }] }] },
        },
      },
    },
  ],
  [
    'create deployment cmd --image=busybox -- sleep 3600',
    'azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50Er0BCh8KA2NtZBIAGgAiACoAMgA4AEIAWgoKA2FwcBIDY21kEosBCAESDAoKCgNhcHASA2NtZBpxChwKABIAGgAiACoAMgA4AEIAWgoKA2FwcBIDY21kElESMwoHYnVzeWJveBIHYnVzeWJveBoFc2xlZXAaBDM2MDAqAEIAagByAIABAIgBAJABAKIBABoAMgBCAEoAUgBYAGAAaACCAQCKAQCaAQDCAQAiAgoAKAA4ABoMCAAQABgAIAAoADgAGgAiAA==',
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'cmd', labels: { app: 'cmd' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'cmd' } },
        template: {
          metadata: { labels: { app: 'cmd' } },
          spec: {
            containers: [{ name: 'busybox', image: 'busybox', command: ['sleep', '3600'] }],
          },
        },
      },
    },
  ],
  [
    'create service clusterip s --tcp=80:8080',
    'azhzAAoNCgJ2MRIHU2VydmljZRJjChsKAXMSABoAIgAqADIAOABCAFoICgNhcHASAXMSQAobCgc4MC04MDgwEgNUQ1AYUCIHCAAQkD8aACgAEggKA2FwcBIBcxoAIglDbHVzdGVySVA6AEIAUgBaAGAAaAAaAgoAGgAiAA==',
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', labels: { app: 's' } },
      spec: {
        ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }],
        selector: { app: 's' },
        type: 'ClusterIP',
      },
    },
  ],
  [
    'create service nodeport np --tcp=80:8080 --node-port=30080',
    'azhzAAoNCgJ2MRIHU2VydmljZRJnCh0KAm5wEgAaACIAKgAyADgAQgBaCQoDYXBwEgJucBJCCh0KBzgwLTgwODASA1RDUBhQIgcIABCQPxoAKIDrARIJCgNhcHASAm5wGgAiCE5vZGVQb3J0OgBCAFIAWgBgAGgAGgIKABoAIgA=',
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'np', labels: { app: 'np' } },
      spec: {
        ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }],
        selector: { app: 'np' },
        type: 'NodePort',
      },
    },
  ],
  [
    'create service externalname en --external-name=example.com',
    'azhzAAoNCgJ2MRIHU2VydmljZRJXCh0KAmVuEgAaACIAKgAyADgAQgBaCQoDYXBwEgJlbhIyEgkKA2FwcBICZW4aACIMRXh0ZXJuYWxOYW1lOgBCAFILZXhhbXBsZS5jb21aAGAAaAAaAgoAGgAiAA==',
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'en', labels: { app: 'en' } },
      spec: { selector: { app: 'en' }, type: 'ExternalName', externalName: 'example.com' },
    },
  ],
  [
    'create serviceaccount sa',
    'azhzAAoUCgJ2MRIOU2VydmljZUFjY291bnQSFAoSCgJzYRIAGgAiACoAMgA4AEIAGgAiAA==',
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa' } },
  ],
];

const POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-0',
    generateName: 'web-',
    namespace: 'prod',
    uid: '6f1c1f9e-6a4b-4a53-9d35-5c2f0a1d7e11',
    resourceVersion: '42',
    generation: 3,
    creationTimestamp: '2024-05-01T10:20:30Z',
    deletionTimestamp: '2024-05-02T00:00:00Z',
    deletionGracePeriodSeconds: 0,
    labels: { app: 'web', tier: 'front' },
    annotations: { 'example.com/note': 'hello' },
    ownerReferences: [
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'web-5d4f',
        uid: '11111111-2222-3333-4444-555555555555',
        controller: true,
        blockOwnerDeletion: false,
      },
    ],
    finalizers: ['example.com/keep'],
    managedFields: [
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        time: '2024-05-01T10:20:30Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
      },
    ],
  },
  spec: {
    volumes: [
      { name: 'scratch', emptyDir: {} },
      { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
      {
        name: 'config',
        configMap: {
          name: 'web-config',
          items: [{ key: 'app.conf', path: 'app.conf', mode: 0o400 }],
          defaultMode: 0o644,
          optional: false,
        },
      },
      { name: 'creds', secret: { secretName: 'web-creds', defaultMode: 0o400 } },
      { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
      { name: 'data', persistentVolumeClaim: { claimName: 'data', readOnly: true } },
      {
        name: 'all-in-one',
        projected: {
          sources: [
            { secret: { name: 's', items: [{ key: 'k', path: 'p' }] } },
            { configMap: { name: 'c' } },
            {
              downwardAPI: {
                items: [
                  { path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } },
                ],
              },
            },
            { serviceAccountToken: { audience: 'api', expirationSeconds: 3600, path: 'token' } },
          ],
          defaultMode: 0o420,
        },
      },
      {
        name: 'podinfo',
        downwardAPI: {
          items: [
            {
              path: 'cpu_limit',
              resourceFieldRef: { containerName: 'web', resource: 'limits.cpu', divisor: '1m' },
            },
          ],
        },
      },
    ],
    initContainers: [
      {
        name: 'init',
        image: 'busybox:1.36',
        command: ['sh', '-c'],
        args: ['echo ready'],
      },
    ],
    containers: [
      {
        name: 'web',
        image: 'nginx:1.27',
        workingDir: '/srv',
        ports: [
          { name: 'http', containerPort: 8080, protocol: 'TCP' },
          {
            name: 'metrics',
            hostPort: 9090,
            containerPort: 9090,
            protocol: 'TCP',
            hostIP: '0.0.0.0',
          },
        ],
        envFrom: [
          { prefix: 'CFG_', configMapRef: { name: 'web-config', optional: true } },
          { secretRef: { name: 'web-creds' } },
        ],
        env: [
          { name: 'MODE', value: 'prod' },
          { name: 'EMPTY' },
          {
            name: 'POD_IP',
            valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } },
          },
          {
            name: 'MEM',
            valueFrom: {
              resourceFieldRef: { containerName: 'web', resource: 'limits.memory', divisor: '1Mi' },
            },
          },
          { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'web-config', key: 'level' } } },
          {
            name: 'TOKEN',
            valueFrom: { secretKeyRef: { name: 'web-creds', key: 'token', optional: false } },
          },
        ],
        resources: {
          limits: { cpu: '500m', memory: '256Mi' },
          requests: { cpu: '100m', memory: '128Mi' },
        },
        volumeMounts: [
          { name: 'config', readOnly: true, mountPath: '/etc/web' },
          { name: 'data', mountPath: '/data', subPath: 'web', mountPropagation: 'None' },
        ],
        livenessProbe: {
          httpGet: {
            path: '/healthz',
            port: 'http',
            scheme: 'HTTP',
            httpHeaders: [{ name: 'X-Probe', value: '1' }],
          },
          initialDelaySeconds: 5,
          periodSeconds: 10,
          failureThreshold: 3,
        },
        readinessProbe: { tcpSocket: { port: 8080 }, timeoutSeconds: 2 },
        startupProbe: { exec: { command: ['cat', '/tmp/ready'] }, successThreshold: 1 },
        lifecycle: {
          postStart: { exec: { command: ['sh', '-c', 'echo start'] } },
          preStop: { sleep: { seconds: 5 } },
        },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
        securityContext: {
          capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
          privileged: false,
          runAsUser: 0,
          runAsNonRoot: false,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        stdin: true,
        tty: true,
      },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    activeDeadlineSeconds: 600,
    dnsPolicy: 'ClusterFirst',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    serviceAccountName: 'web',
    automountServiceAccountToken: false,
    nodeName: 'worker-1',
    hostNetwork: true,
    shareProcessNamespace: true,
    securityContext: {
      runAsUser: 1000,
      runAsGroup: 3000,
      fsGroup: 2000,
      supplementalGroups: [4000, 5000],
      sysctls: [{ name: 'net.core.somaxconn', value: '1024' }],
    },
    imagePullSecrets: [{ name: 'regcred' }],
    hostname: 'web-0',
    subdomain: 'web',
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] },
          ],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 10,
            preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] },
          },
        ],
      },
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              labelSelector: { matchLabels: { app: 'web' } },
              topologyKey: 'kubernetes.io/hostname',
            },
          },
        ],
      },
    },
    schedulerName: 'default-scheduler',
    tolerations: [
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      { key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' },
    ],
    hostAliases: [{ ip: '10.0.0.1', hostnames: ['db.local'] }],
    priorityClassName: 'high',
    priority: 1000,
    dnsConfig: { nameservers: ['1.1.1.1'], options: [{ name: 'ndots', value: '2' }] },
    readinessGates: [{ conditionType: 'example.com/ready' }],
    enableServiceLinks: false,
    preemptionPolicy: 'PreemptLowerPriority',
    overhead: { cpu: '250m' },
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] },
        minDomains: 2,
      },
    ],
    os: { name: 'linux' },
  },
  status: {
    phase: 'Running',
    conditions: [
      { type: 'Ready', status: 'True', lastTransitionTime: '2024-05-01T10:21:00Z' },
      { type: 'PodScheduled', status: 'True' },
    ],
    hostIP: '192.168.1.10',
    hostIPs: [{ ip: '192.168.1.10' }],
    podIP: '10.244.1.5',
    podIPs: [{ ip: '10.244.1.5' }],
    startTime: '2024-05-01T10:20:31Z',
    containerStatuses: [
      {
        name: 'web',
        state: { running: { startedAt: '2024-05-01T10:20:40Z' } },
        lastState: {
          terminated: {
            exitCode: 137,
            reason: 'OOMKilled',
            startedAt: '2024-05-01T10:20:32Z',
            finishedAt: '2024-05-01T10:20:39Z',
            containerID: 'containerd://abc',
          },
        },
        ready: true,
        restartCount: 1,
        image: 'nginx:1.27',
        imageID: 'sha256:abc',
        containerID: 'containerd://def',
        started: true,
      },
    ],
    qosClass: 'Burstable',
  },
};

describe('Kubernetes protobuf codec', () => {
  describe('bodies from kubectl 1.32', () => {
    it.each(KUBECTL_BODIES)('decodes `kubectl %s`', (_cmd, body, expected) => {
      const decoded = decodeKubernetesProtobuf(b64(body));
      expect(decoded).toEqual(expected);
      // Key order too: Go's JSON order (apiVersion, kind, metadata, then the rest).
      expect(JSON.stringify(decoded)).toBe(JSON.stringify(expected));
    });

    it.each(KUBECTL_BODIES)('round-trips `kubectl %s` through the encoder', (_cmd, body) => {
      const decoded = decodeKubernetesProtobuf(b64(body));
      expect(roundTrip(decoded)).toEqual(decoded);
    });
  });

  describe('round trips', () => {
    it('a Pod with everything a container, a volume and the scheduling fields hold', () => {
      const back = roundTrip(POD);
      expect(back).toEqual(POD);
    });

    it('a Deployment with a rolling update strategy, zero replicas and status', () => {
      const d = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'default', generation: 2 },
        spec: {
          replicas: 0,
          selector: {
            matchLabels: { app: 'web' },
            matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }],
          },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'c', image: 'nginx' }] },
          },
          strategy: {
            type: 'RollingUpdate',
            rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' },
          },
          minReadySeconds: 5,
          revisionHistoryLimit: 0,
          paused: true,
          progressDeadlineSeconds: 600,
        },
        status: {
          observedGeneration: 2,
          replicas: 3,
          updatedReplicas: 3,
          readyReplicas: 2,
          availableReplicas: 2,
          unavailableReplicas: 1,
          conditions: [
            {
              type: 'Available',
              status: 'True',
              lastUpdateTime: '2024-01-01T00:00:00Z',
              lastTransitionTime: '2024-01-01T00:00:00Z',
              reason: 'MinimumReplicasAvailable',
              message: 'Deployment has minimum availability.',
            },
          ],
          collisionCount: 0,
        },
      };
      expect(roundTrip(d)).toEqual(d);
    });

    it('a ReplicaSet and a Recreate Deployment', () => {
      const rs = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'web-1', annotations: { 'deployment.kubernetes.io/revision': '1' } },
        spec: {
          replicas: 2,
          minReadySeconds: 1,
          selector: { matchLabels: { app: 'web' } },
          template: { spec: { containers: [{ name: 'c' }] } },
        },
        status: { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 1, observedGeneration: 1 },
      };
      expect(roundTrip(rs)).toEqual(rs);
      const recreate = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'r' },
        spec: {
          selector: {},
          template: { spec: { containers: [{ name: 'c' }] } },
          strategy: { type: 'Recreate' },
        },
      };
      expect(roundTrip(recreate)).toEqual(recreate);
    });

    it('a Service with ports, session affinity and load-balancer status', () => {
      const svc = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: {
          ports: [
            { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080 },
            { name: 'dns', protocol: 'UDP', appProtocol: 'dns', port: 53, targetPort: 5353 },
          ],
          selector: { app: 'web' },
          clusterIP: '10.96.0.10',
          clusterIPs: ['10.96.0.10'],
          type: 'LoadBalancer',
          externalIPs: ['192.0.2.1'],
          sessionAffinity: 'ClientIP',
          loadBalancerSourceRanges: ['10.0.0.0/8'],
          externalTrafficPolicy: 'Local',
          healthCheckNodePort: 31000,
          publishNotReadyAddresses: true,
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
          ipFamilies: ['IPv4'],
          ipFamilyPolicy: 'SingleStack',
          allocateLoadBalancerNodePorts: false,
          internalTrafficPolicy: 'Cluster',
        },
        status: {
          loadBalancer: {
            ingress: [
              { ip: '203.0.113.7', ipMode: 'VIP', ports: [{ port: 80, protocol: 'TCP' }] },
              { hostname: 'lb.example.com' },
            ],
          },
        },
      };
      expect(roundTrip(svc)).toEqual(svc);
    });

    it('Secrets and ConfigMaps with binary data, ServiceAccounts and Namespaces', () => {
      const secret = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'tls' },
        immutable: true,
        data: { 'tls.key': Buffer.from([0, 0xff, 0x10, 0x80]).toString('base64'), empty: '' },
        stringData: { extra: 'plain' },
        type: 'kubernetes.io/tls',
      };
      expect(roundTrip(secret)).toEqual(secret);
      const cm = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c' },
        immutable: false,
        data: { 'a.txt': 'ünïcode', empty: '' },
        binaryData: { 'b.bin': 'AAEC' },
      };
      expect(roundTrip(cm)).toEqual(cm);
      const sa = {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'sa' },
        secrets: [{ kind: 'Secret', name: 'sa-token' }],
        imagePullSecrets: [{ name: 'regcred' }],
        automountServiceAccountToken: false,
      };
      expect(roundTrip(sa)).toEqual(sa);
      const ns = {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'gone', deletionTimestamp: '2024-01-01T00:00:00Z' },
        spec: { finalizers: ['kubernetes'] },
        status: {
          phase: 'Terminating',
          conditions: [
            { type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted' },
          ],
        },
      };
      expect(roundTrip(ns)).toEqual(ns);
    });

    it('lists, DeleteOptions and Status', () => {
      const list = {
        apiVersion: 'v1',
        kind: 'ConfigMapList',
        metadata: { resourceVersion: '7', continue: 'abc', remainingItemCount: 0 },
        items: [{ metadata: { name: 'a' }, data: { k: 'v' } }, { metadata: { name: 'b' } }],
      };
      expect(roundTrip(list)).toEqual(list);
      // Items may carry their own apiVersion and kind; protobuf does not (Go drops them too).
      const withTypeMeta = {
        ...list,
        items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }],
      };
      expect(roundTrip(withTypeMeta).items).toEqual([{ metadata: { name: 'a' } }]);
      const del = {
        apiVersion: 'meta.k8s.io/v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: 'u', resourceVersion: '5' },
        propagationPolicy: 'Foreground',
        dryRun: ['All'],
      };
      expect(roundTrip(del)).toEqual(del);
      expect(roundTrip({ ...del, apiVersion: 'v1' }).kind).toBe('DeleteOptions');
      const status = {
        apiVersion: 'v1',
        kind: 'Status',
        status: 'Failure',
        message: 'configmaps "x" not found',
        reason: 'NotFound',
        details: { name: 'x', kind: 'configmaps', causes: [{ field: 'metadata.name' }] },
        code: 404,
      };
      expect(roundTrip(status)).toEqual(status);
    });
  });

  describe('special types', () => {
    const meta = (...fields: [number, Uint8Array][]) => {
      const m = w();
      for (const [no, bytes] of fields) m.tag(no, WireType.Bytes).bytes(bytes);
      return m.finish();
    };
    const time = (seconds: number, nanos = 0) =>
      w().tag(1, WireType.Varint).int(seconds).tag(2, WireType.Varint).int(nanos).finish();

    it('metav1.Time: seconds and nanos to RFC 3339 at second precision; empty is the zero time', () => {
      expect(decodeMessage('ObjectMeta', meta([8, time(1700000000, 999_000_000)]))).toEqual({
        creationTimestamp: '2023-11-14T22:13:20Z',
      });
      // The zero time is an empty message: left out (non-pointer) or null, which is left out too.
      expect(decodeMessage('ObjectMeta', meta([8, EMPTY], [9, EMPTY]))).toEqual({});
      // The Unix epoch is not Go's zero time.
      expect(decodeMessage('ObjectMeta', meta([8, time(0)]))).toEqual({
        creationTimestamp: '1970-01-01T00:00:00Z',
      });
      expect(decodeMessage('ObjectMeta', meta([8, time(-1)]))).toEqual({
        creationTimestamp: '1969-12-31T23:59:59Z',
      });
      expect(problemOf(() => decodeMessage('ObjectMeta', meta([8, time(1e12)]))).problem).toBe(
        'malformed',
      );
      // A fraction survives encoding as nanos.
      const bytes = encodeMessage('ObjectMeta', { creationTimestamp: '2024-01-01T00:00:00.25Z' });
      const again = decodeMessage('ObjectMeta', bytes);
      expect(again).toEqual({ creationTimestamp: '2024-01-01T00:00:00Z' });
    });

    it('resource.Quantity: the string of field 1; the zero quantity of a non-pointer is left out', () => {
      const q = (s: string) => w().tag(1, WireType.Bytes).string(s).finish();
      const limits = (s: string) =>
        w()
          .tag(1, WireType.Bytes)
          .bytes(
            w().tag(1, WireType.Bytes).string('cpu').tag(2, WireType.Bytes).bytes(q(s)).finish(),
          )
          .finish();
      expect(decodeMessage('ResourceRequirements', limits('500m'))).toEqual({
        limits: { cpu: '500m' },
      });
      // In a map every value is kept, zero or not.
      expect(decodeMessage('ResourceRequirements', limits('0'))).toEqual({ limits: { cpu: '0' } });
      // divisor is a non-pointer Quantity: "0" is its zero; sizeLimit is a pointer: kept.
      const divisor = (s: string) =>
        w().tag(2, WireType.Bytes).string('limits.cpu').tag(3, WireType.Bytes).bytes(q(s)).finish();
      expect(decodeMessage('ResourceFieldSelector', divisor('0'))).toEqual({
        resource: 'limits.cpu',
      });
      expect(decodeMessage('ResourceFieldSelector', divisor('1m'))).toEqual({
        resource: 'limits.cpu',
        divisor: '1m',
      });
      expect(
        decodeMessage('EmptyDirVolumeSource', w().tag(2, WireType.Bytes).bytes(q('0')).finish()),
      ).toEqual({ sizeLimit: '0' });
    });

    it('intstr.IntOrString: type 0 is intVal, type 1 is strVal; zero values by their field', () => {
      const ios = (type: number, i: number, s: string) =>
        w()
          .tag(1, WireType.Varint)
          .int(type)
          .tag(2, WireType.Varint)
          .int(i)
          .tag(3, WireType.Bytes)
          .string(s)
          .finish();
      const port = (target: Uint8Array) =>
        w().tag(3, WireType.Varint).int(80).tag(4, WireType.Bytes).bytes(target).finish();
      expect(decodeMessage('ServicePort', port(ios(0, 8080, '')))).toEqual({
        port: 80,
        targetPort: 8080,
      });
      expect(decodeMessage('ServicePort', port(ios(1, 0, 'http')))).toEqual({
        port: 80,
        targetPort: 'http',
      });
      // targetPort has omitempty: its zero is left out (the server defaults it to port).
      expect(decodeMessage('ServicePort', port(ios(0, 0, '')))).toEqual({ port: 80 });
      // HTTPGetAction.port has no omitempty: 0 when absent.
      expect(decodeMessage('HTTPGetAction', EMPTY)).toEqual({ port: 0 });
      // maxSurge is a pointer: 0 is kept.
      expect(
        decodeMessage(
          'RollingUpdateDeployment',
          w()
            .tag(2, WireType.Bytes)
            .bytes(ios(0, 0, ''))
            .finish(),
        ),
      ).toEqual({ maxSurge: 0 });
    });

    it('map<string, bytes>: Secret data and ConfigMap binaryData as base64', () => {
      const entry = w()
        .tag(1, WireType.Bytes)
        .string('k')
        .tag(2, WireType.Bytes)
        .bytes(Uint8Array.of(0xff, 0x00, 0xc3))
        .finish();
      expect(decodeMessage('Secret', w().tag(2, WireType.Bytes).bytes(entry).finish())).toEqual({
        data: { k: '/wDD' },
      });
      expect(decodeMessage('ConfigMap', w().tag(3, WireType.Bytes).bytes(entry).finish())).toEqual({
        binaryData: { k: '/wDD' },
      });
      // An entry without a value maps its key to the empty value; the last entry of a key wins.
      const noValue = w().tag(1, WireType.Bytes).string('k').finish();
      const twice = w()
        .tag(2, WireType.Bytes)
        .bytes(entry)
        .tag(2, WireType.Bytes)
        .bytes(noValue)
        .finish();
      expect(decodeMessage('Secret', twice)).toEqual({ data: { k: '' } });
    });

    it('metav1.FieldsV1: its raw JSON', () => {
      const raw = w().tag(1, WireType.Bytes).string('{"f:data":{}}').finish();
      const entry = w()
        .tag(1, WireType.Bytes)
        .string('m')
        .tag(7, WireType.Bytes)
        .bytes(raw)
        .finish();
      expect(decodeMessage('ManagedFieldsEntry', entry)).toEqual({
        manager: 'm',
        fieldsV1: { 'f:data': {} },
      });
      const bad = w().tag(7, WireType.Bytes).bytes(w().tag(1, WireType.Bytes).string('{').finish());
      expect(problemOf(() => decodeMessage('ManagedFieldsEntry', bad.finish())).problem).toBe(
        'malformed',
      );
    });
  });

  describe('zero values', () => {
    it('leaves out what Go writes for zero non-pointer fields, as omitempty does', () => {
      // What Go writes for Container{Name: "c"}: every non-pointer field, zeros included.
      const c = w().tag(1, WireType.Bytes).string('c').tag(2, WireType.Bytes).string('');
      c.tag(5, WireType.Bytes).string('').tag(8, WireType.Bytes).bytes(EMPTY);
      c.tag(13, WireType.Bytes).string('').tag(14, WireType.Bytes).string('');
      c.tag(16, WireType.Varint).bool(false).tag(17, WireType.Varint).bool(false);
      c.tag(18, WireType.Varint).bool(false).tag(20, WireType.Bytes).string('');
      expect(decodeMessage('Container', c.finish())).toEqual({ name: 'c' });
    });

    it('keeps pointers that were set, even to zero values and empty messages', () => {
      const sc = w()
        .tag(1, WireType.Bytes)
        .bytes(EMPTY) // capabilities: an empty *Capabilities
        .tag(2, WireType.Varint)
        .bool(false) // privileged: *bool false
        .tag(4, WireType.Varint)
        .int(0) // runAsUser: *int64 0
        .finish();
      expect(decodeMessage('SecurityContext', sc)).toEqual({
        capabilities: {},
        privileged: false,
        runAsUser: 0,
      });
      // emptyDir: {} is what makes a volume an emptyDir.
      const vol = w()
        .tag(1, WireType.Bytes)
        .string('v')
        .tag(2, WireType.Bytes)
        .bytes(w().tag(2, WireType.Bytes).bytes(EMPTY).finish())
        .finish();
      expect(decodeMessage('Volume', vol)).toEqual({ name: 'v', emptyDir: {} });
      expect(decodeMessage('DeploymentSpec', w().tag(1, WireType.Varint).int(0).finish())).toEqual({
        replicas: 0,
        selector: null,
        template: {},
      });
    });

    it('writes fields Go marshals without omitempty, zero or not', () => {
      // ServicePort.port and ContainerPort.containerPort have no omitempty.
      expect(decodeMessage('ServicePort', EMPTY)).toEqual({ port: 0 });
      expect(decodeMessage('ContainerPort', EMPTY)).toEqual({ containerPort: 0 });
      // PodSpec.containers has no omitempty: a nil slice is null in Go's JSON.
      expect(decodeMessage('PodSpec', EMPTY)).toEqual({ containers: null });
      expect(decodeMessage('Container', EMPTY)).toEqual({ name: '' });
    });

    it('leaves out empty non-pointer messages, lists and maps', () => {
      const ns = w()
        .tag(1, WireType.Bytes)
        .bytes(w().tag(1, WireType.Bytes).string('x').tag(11, WireType.Bytes).bytes(EMPTY).finish())
        .tag(2, WireType.Bytes)
        .bytes(EMPTY)
        .tag(3, WireType.Bytes)
        .bytes(w().tag(1, WireType.Bytes).string('').finish())
        .finish();
      // labels got one entry with empty key and value: a map entry is kept even when zero.
      expect(decodeMessage('Namespace', ns)).toEqual({
        metadata: { name: 'x', labels: { '': '' } },
      });
    });

    it('merges a message field that comes twice, and keeps the last of a scalar', () => {
      const meta = (b: ProtoWriter) => w().tag(1, WireType.Bytes).bytes(b.finish());
      const twice = w()
        .raw(
          meta(
            w().tag(1, WireType.Bytes).string('first').tag(3, WireType.Bytes).string('ns'),
          ).finish(),
        )
        .raw(meta(w().tag(1, WireType.Bytes).string('second')).finish())
        .finish();
      expect(decodeMessage('ConfigMap', twice)).toEqual({
        metadata: { name: 'second', namespace: 'ns' },
      });
    });

    it('accepts packed repeated numbers as well as one field per value', () => {
      const packed = w()
        .tag(4, WireType.Bytes)
        .bytes(w().int(4000).int(5000).finish())
        .tag(4, WireType.Varint)
        .int(6000)
        .finish();
      expect(decodeMessage('PodSecurityContext', packed)).toEqual({
        supplementalGroups: [4000, 5000, 6000],
      });
    });
  });

  describe('fields this server does not know', () => {
    it('refuses one that carries a value, naming the message and the field number', () => {
      const c = w().tag(1, WireType.Bytes).string('c').tag(99, WireType.Bytes).string('x').finish();
      const err = problemOf(() => decodeMessage('Container', c));
      expect(err.problem).toBe('unsupported');
      expect(err.message).toContain('protobuf field 99 of k8s.io.api.core.v1.Container');
      expect(err.message).toContain('send the object as JSON');
      const deep = envelope(
        'apps/v1',
        'Deployment',
        w().tag(2, WireType.Bytes).bytes(w().tag(77, WireType.Varint).int(3).finish()).finish(),
      );
      expect(problemOf(() => decodeKubernetesProtobuf(deep)).message).toContain(
        'protobuf field 77 of k8s.io.api.apps.v1.DeploymentSpec',
      );
    });

    it('skips one whose value is zero or empty, as a newer client writes for unset fields', () => {
      const c = w()
        .tag(1, WireType.Bytes)
        .string('c')
        .tag(90, WireType.Varint)
        .int(0)
        .tag(91, WireType.Bytes)
        .string('')
        .tag(92, WireType.Bytes)
        .bytes(w().tag(1, WireType.Bytes).string('').tag(2, WireType.Varint).int(0).finish())
        .tag(93, WireType.Fixed64)
        .double(0)
        .finish();
      expect(decodeMessage('Container', c)).toEqual({ name: 'c' });
    });

    it('refuses unknown non-zero fields of the envelope too', () => {
      const extra = w().tag(9, WireType.Varint).int(1);
      const body = envelope('v1', 'Namespace', EMPTY, extra);
      expect(problemOf(() => decodeKubernetesProtobuf(body)).message).toContain(
        'protobuf field 9 of runtime.Unknown',
      );
    });
  });

  describe('bad input', () => {
    const DEPLOYMENT = b64(
      KUBECTL_BODIES.find(([cmd]) => cmd.startsWith('create deployment web'))![1],
    );

    it('fails on every truncation of a body that does not fall between two envelope fields', () => {
      // A protobuf message cut between two of its fields is itself whole: here after typeMeta (a
      // Deployment with nothing set), after raw, and after contentEncoding.
      const typeMetaEnd = 4 + 2 + DEPLOYMENT[5];
      const rawEnd = DEPLOYMENT.length - 4;
      const whole = new Set([typeMetaEnd, rawEnd, rawEnd + 2]);
      for (let n = 0; n < DEPLOYMENT.length; n++) {
        const cut = DEPLOYMENT.subarray(0, n);
        if (whole.has(n)) expect(decodeKubernetesProtobuf(cut).kind).toBe('Deployment');
        else expect(problemOf(() => decodeKubernetesProtobuf(cut)).problem).toBe('malformed');
      }
    });

    it('answers every corrupted body with a decoded object or a ProtobufError, never anything else', () => {
      let seed = 12345;
      const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
      for (let i = 0; i < 3000; i++) {
        const body = Uint8Array.from(DEPLOYMENT);
        for (let k = 0; k <= i % 3; k++) body[4 + (next() % (body.length - 4))] = next() % 256;
        try {
          decodeKubernetesProtobuf(body);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtobufError);
        }
      }
    });

    it('refuses a known field of the wrong wire type', () => {
      const c = w().tag(1, WireType.Varint).int(5).finish();
      expect(problemOf(() => decodeMessage('Container', c)).message).toMatch(
        /field 1 \(name\) of k8s.io.api.core.v1.Container has wire type 0, expected 2/,
      );
    });

    it('refuses bodies without the k8s\\0 prefix or without a kind', () => {
      expect(
        problemOf(() => decodeKubernetesProtobuf(Buffer.from('{"kind":"Pod"}'))).message,
      ).toMatch(/k8s\\x00/);
      expect(problemOf(() => decodeKubernetesProtobuf(Buffer.from('k8s\0'))).message).toMatch(
        /names no kind/,
      );
    });

    it('refuses kinds without a schema, and content encodings, as unsupported', () => {
      const crd = problemOf(() =>
        decodeKubernetesProtobuf(
          envelope('apiextensions.k8s.io/v1', 'CustomResourceDefinition', EMPTY),
        ),
      );
      expect(crd.problem).toBe('unsupported');
      expect(crd.message).toContain(
        'protobuf is not supported for apiextensions.k8s.io/v1, Kind=CustomResourceDefinition',
      );
      expect(crd.message).toContain('send it as JSON');
      expect(
        problemOf(() => decodeKubernetesProtobuf(envelope('v1', 'Binding', EMPTY))).problem,
      ).toBe('unsupported');
      const gz = w().tag(3, WireType.Bytes).string('gzip');
      expect(
        problemOf(() => decodeKubernetesProtobuf(envelope('v1', 'Namespace', EMPTY, gz))).message,
      ).toContain('content encoding "gzip"');
    });

    it('refuses to encode what the schema does not have', () => {
      const unknown = problemOf(() =>
        encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', bogus: 1 }),
      );
      expect(unknown.problem).toBe('unsupported');
      expect(unknown.message).toContain('ConfigMap.bogus');
      expect(
        problemOf(() =>
          encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: 1 } }),
        ).message,
      ).toContain('expected a string');
      expect(
        problemOf(() =>
          encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'Secret', data: { a: '!!' } }),
        ).message,
      ).toContain('base64');
      expect(
        problemOf(() =>
          encodeKubernetesProtobuf({
            apiVersion: 'apiextensions.k8s.io/v1',
            kind: 'CustomResourceDefinition',
          }),
        ).problem,
      ).toBe('unsupported');
      // apiVersion and kind only where they name the message itself.
      expect(
        problemOf(() =>
          encodeMessage('PodSpec', { containers: [{ name: 'c', kind: 'Container' }] }),
        ).message,
      ).toContain('containers[0].kind');
    });
  });

  it('can leave out fields the schema does not have, for answers', () => {
    const stored = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', bogus: true },
      data: { a: 'b' },
      extra: { anything: 1 },
    };
    const bytes = encodeKubernetesProtobuf(stored, { dropUnknownFields: true });
    expect(decodeKubernetesProtobuf(bytes)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { a: 'b' },
    });
  });

  describe('schema tables', () => {
    it('name only messages that exist, and cover every kind served as protobuf', () => {
      for (const name of messageNames()) {
        for (const { value } of messageSchema(name).fields) {
          if (value.kind === 'message') expect(() => messageSchema(value.name)).not.toThrow();
        }
      }
      for (const [apiVersion, kind] of [
        ['v1', 'Namespace'],
        ['v1', 'ConfigMap'],
        ['v1', 'Secret'],
        ['v1', 'ServiceAccount'],
        ['v1', 'Service'],
        ['v1', 'Pod'],
        ['apps/v1', 'Deployment'],
        ['apps/v1', 'ReplicaSet'],
      ]) {
        const pkg = apiVersion === 'v1' ? 'k8s.io.api.core.v1' : 'k8s.io.api.apps.v1';
        expect(protobufMessageFor(apiVersion, kind)).toBe(`${pkg}.${kind}`);
        expect(protobufMessageFor(apiVersion, `${kind}List`)).toBe(`${pkg}.${kind}List`);
      }
      const meta = 'k8s.io.apimachinery.pkg.apis.meta.v1';
      expect(protobufMessageFor('meta.k8s.io/v1', 'DeleteOptions')).toBe(`${meta}.DeleteOptions`);
      expect(protobufMessageFor('apps/v1', 'DeleteOptions')).toBe(`${meta}.DeleteOptions`);
      expect(protobufMessageFor('v1', 'Status')).toBe(`${meta}.Status`);
      expect(protobufMessageFor('v1', 'Binding')).toBeUndefined();
    });

    it('give each JSON name once per message, inline messages included', () => {
      for (const name of messageNames()) {
        const names: string[] = [];
        const collect = (short: string) => {
          for (const f of messageSchema(short).fields) {
            if (f.inline) collect((f.value as { name: string }).name);
            else names.push(f.json!);
          }
        };
        collect(name);
        expect(new Set(names).size).toBe(names.length);
      }
    });
  });
});
