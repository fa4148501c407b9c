import { findResource } from './catalog';
import type { KubeObject } from './object';
import { ApiError } from './status';
import {
  formatTimestamp,
  prepareForCreate,
  prepareForUpdate,
  unknownFields,
  validateCreate,
  validateUpdate,
} from './strategy';
import { defaultPullPolicy } from './defaults';
import { podQosClass } from './pod-admission';
import { strictDecodingError } from './unknown-fields';

const pods = findResource('', 'v1', 'pods')!;
const services = findResource('', 'v1', 'services')!;
const namespaces = findResource('', 'v1', 'namespaces')!;
const nodes = findResource('', 'v1', 'nodes')!;
const configmaps = findResource('', 'v1', 'configmaps')!;
const deployments = findResource('apps', 'v1', 'deployments')!;
const replicasets = findResource('apps', 'v1', 'replicasets')!;

let uidCounter = 0;
const ctx = (namespace?: string) => ({
  namespace,
  now: new Date('2024-05-01T10:00:00.123Z'),
  newUid: () => `00000000-0000-4000-8000-${String(++uidCounter).padStart(12, '0')}`,
});

function pod(extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web' },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
    ...extra,
  };
}

function deployment(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'app', image: 'nginx' }] },
      },
    },
  };
}

function invalid(fn: () => void): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected an error');
}

describe('prepareForCreate', () => {
  it('fills identity, namespace and timestamps', () => {
    const o = prepareForCreate(pods, pod(), ctx('default'));
    expect(o.metadata.namespace).toBe('default');
    expect(o.metadata.uid).toMatch(/^00000000-/);
    expect(o.metadata.creationTimestamp).toBe('2024-05-01T10:00:00Z');
    expect(o.metadata.generation).toBeUndefined();
  });

  it('generates a name from generateName', () => {
    const o = prepareForCreate(pods, pod({ metadata: { generateName: 'web-' } }), ctx('default'));
    expect(o.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const fixed = prepareForCreate(pods, pod({ metadata: { generateName: 'web-' } }), {
      ...ctx('default'),
      randomSuffix: () => 'abcde',
    });
    expect(fixed.metadata.name).toBe('web-abcde');
  });

  it('rejects a body namespace that differs from the URL', () => {
    const err = invalid(() =>
      prepareForCreate(pods, pod({ metadata: { name: 'a', namespace: 'x' } }), ctx('y')),
    );
    expect(err.code).toBe(400);
  });

  it('defaults a pod as Kubernetes does', () => {
    const o = prepareForCreate(pods, pod(), ctx('default'));
    expect(o.spec).toEqual({
      containers: [
        {
          name: 'app',
          image: 'nginx:1.27',
          imagePullPolicy: 'IfNotPresent',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          resources: {},
        },
      ],
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      securityContext: {},
      enableServiceLinks: true,
      serviceAccountName: 'default',
      serviceAccount: 'default',
      priority: 0,
      preemptionPolicy: 'PreemptLowerPriority',
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
    });
    expect(o.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  it('keeps a user toleration for not-ready and adds only unreachable', () => {
    const p = pod();
    (p.spec as Record<string, unknown>).tolerations = [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists' },
    ];
    const tolerations = (
      prepareForCreate(pods, p, ctx('d')).spec as { tolerations: { key: string }[] }
    ).tolerations;
    expect(tolerations.map((t) => t.key)).toEqual([
      'node.kubernetes.io/not-ready',
      'node.kubernetes.io/unreachable',
    ]);
    const wildcard = pod();
    (wildcard.spec as Record<string, unknown>).tolerations = [{ operator: 'Exists' }];
    expect(
      (prepareForCreate(pods, wildcard, ctx('d')).spec as { tolerations: unknown[] }).tolerations,
    ).toHaveLength(1);
  });

  it('picks the pull policy from the tag', () => {
    expect(defaultPullPolicy('nginx')).toBe('Always');
    expect(defaultPullPolicy('nginx:latest')).toBe('Always');
    expect(defaultPullPolicy('registry:5000/nginx')).toBe('Always');
    expect(defaultPullPolicy('registry:5000/nginx:1.2')).toBe('IfNotPresent');
    expect(defaultPullPolicy('nginx@sha256:abc')).toBe('IfNotPresent');
  });

  it('computes the QoS class', () => {
    const c = (resources: unknown) => ({ containers: [{ name: 'a', image: 'x', resources }] });
    expect(podQosClass(c({}))).toBe('BestEffort');
    expect(podQosClass(c({ requests: { cpu: '100m' } }))).toBe('Burstable');
    expect(
      podQosClass(
        c({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1000m', memory: '1024Mi' } }),
      ),
    ).toBe('Guaranteed');
    const limitsOnly = prepareForCreate(
      pods,
      pod({ spec: c({ limits: { cpu: '1', memory: '1Gi' } }) }),
      ctx('d'),
    );
    expect((limitsOnly.status as { qosClass: string }).qosClass).toBe('Guaranteed');
  });

  it('defaults a deployment and starts generation at 1 with empty status', () => {
    const o = prepareForCreate(
      deployments,
      { ...deployment(), status: { replicas: 9 } },
      ctx('default'),
    );
    expect(o.metadata.generation).toBe(1);
    expect(o.status).toEqual({});
    expect(o.spec).toMatchObject({
      replicas: 1,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
      },
      template: {
        spec: {
          restartPolicy: 'Always',
          dnsPolicy: 'ClusterFirst',
          schedulerName: 'default-scheduler',
        },
      },
    });
    // Admission defaults belong to pods, not to templates.
    expect(
      (o.spec as { template: { spec: Record<string, unknown> } }).template.spec.tolerations,
    ).toBeUndefined();
  });

  it('defaults a replica set to one replica', () => {
    const rs = { ...deployment(), kind: 'ReplicaSet' };
    expect(
      (prepareForCreate(replicasets, rs, ctx('d')).spec as { replicas: number }).replicas,
    ).toBe(1);
  });

  it('defaults a service but leaves IP allocation to the server', () => {
    const o = prepareForCreate(
      services,
      { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
      ctx('default'),
    );
    expect(o.spec).toEqual({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      selector: { app: 'web' },
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      internalTrafficPolicy: 'Cluster',
    });
    expect(o.status).toEqual({ loadBalancer: {} });
  });

  it('makes namespaces active with the kubernetes finalizer and name label, and drops namespace', () => {
    const o = prepareForCreate(namespaces, { metadata: { name: 'team', namespace: 'x' } }, ctx());
    expect(o.metadata.namespace).toBeUndefined();
    expect(o.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team' });
    expect(o.spec).toEqual({ finalizers: ['kubernetes'] });
    expect(o.status).toEqual({ phase: 'Active' });
  });

  it('lets nodes carry status on create', () => {
    const o = prepareForCreate(
      nodes,
      { metadata: { name: 'n1' }, status: { capacity: { cpu: '2' } } },
      ctx(),
    );
    expect(o.status).toEqual({ capacity: { cpu: '2' } });
  });

  it('formats timestamps at second precision', () => {
    expect(formatTimestamp(new Date('2024-01-02T03:04:05.999Z'))).toBe('2024-01-02T03:04:05Z');
  });
});

describe('validateCreate', () => {
  it('accepts a defaulted pod', () => {
    expect(() => validateCreate(pods, prepareForCreate(pods, pod(), ctx('default')))).not.toThrow();
  });

  it('rejects an uppercase pod name with the DNS-1123 subdomain message', () => {
    const o = prepareForCreate(pods, pod({ metadata: { name: 'X' } }), ctx('default'));
    const err = invalid(() => validateCreate(pods, o));
    expect(err.code).toBe(422);
    expect(err.message).toBe(
      `Pod "X" is invalid: metadata.name: Invalid value: "X": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    );
  });

  it('checks namespaces as DNS-1123 labels and services as DNS-1035 labels', () => {
    const ns = prepareForCreate(namespaces, { metadata: { name: 'a.b' } }, ctx());
    expect(invalid(() => validateCreate(namespaces, ns)).message).toContain(
      'a lowercase RFC 1123 label must consist',
    );
    const svc = prepareForCreate(
      services,
      { metadata: { name: '1web' }, spec: { ports: [{ port: 80 }] } },
      ctx('d'),
    );
    expect(invalid(() => validateCreate(services, svc)).message).toContain(
      'a DNS-1035 label must consist',
    );
    const long = prepareForCreate(namespaces, { metadata: { name: 'a'.repeat(64) } }, ctx());
    expect(invalid(() => validateCreate(namespaces, long)).message).toContain(
      'must be no more than 63 characters',
    );
  });

  it('requires a name or generateName', () => {
    const o = prepareForCreate(configmaps, { metadata: {} }, ctx('d'));
    expect(invalid(() => validateCreate(configmaps, o)).message).toBe(
      'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required',
    );
  });

  it('reports every missing pod field with its own cause', () => {
    const o = prepareForCreate(
      pods,
      pod({ spec: { containers: [{ name: 'a' }, { name: 'a', image: 'x' }] } }),
      ctx('d'),
    );
    const err = invalid(() => validateCreate(pods, o));
    const causes = (err.status.details as { causes: { field: string; reason: string }[] }).causes;
    expect(causes).toEqual([
      {
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: 'spec.containers[0].image',
      },
      {
        reason: 'FieldValueDuplicate',
        message: 'Duplicate value: "a"',
        field: 'spec.containers[1].name',
      },
    ]);
    const empty = prepareForCreate(pods, pod({ spec: {} }), ctx('d'));
    expect(invalid(() => validateCreate(pods, empty)).message).toBe(
      'Pod "web" is invalid: spec.containers: Required value',
    );
  });

  it('rejects bad labels, a resourceVersion, and unsupported enum values', () => {
    const o = prepareForCreate(
      pods,
      pod({ metadata: { name: 'a', labels: { app: 'bad value' } } }),
      ctx('d'),
    );
    expect(invalid(() => validateCreate(pods, o)).message).toContain(
      'metadata.labels: Invalid value: "bad value"',
    );
    const rv = { ...prepareForCreate(pods, pod(), ctx('d')) };
    rv.metadata = { ...rv.metadata, resourceVersion: '5' };
    expect(invalid(() => validateCreate(pods, rv)).code).toBe(400);
    const policy = prepareForCreate(
      pods,
      pod({ spec: { restartPolicy: 'Sometimes', containers: [{ name: 'a', image: 'x' }] } }),
      ctx('d'),
    );
    expect(invalid(() => validateCreate(pods, policy)).message).toContain(
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    );
  });

  it('checks deployments: selector required and matching template labels', () => {
    const noSelector = deployment();
    delete (noSelector.spec as Record<string, unknown>).selector;
    const a = prepareForCreate(deployments, noSelector, ctx('d'));
    expect(invalid(() => validateCreate(deployments, a)).message).toBe(
      'Deployment.apps "web" is invalid: spec.selector: Required value',
    );
    const mismatch = deployment();
    (mismatch.spec as { selector: unknown }).selector = { matchLabels: { app: 'other' } };
    const b = prepareForCreate(deployments, mismatch, ctx('d'));
    expect(invalid(() => validateCreate(deployments, b)).message).toContain(
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    );
    const negative = deployment();
    (negative.spec as { replicas: number }).replicas = -1;
    const c = prepareForCreate(deployments, negative, ctx('d'));
    expect(invalid(() => validateCreate(deployments, c)).message).toContain(
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    );
  });

  it("checks a deployment's rolling update: maxSurge and maxUnavailable", () => {
    const rolling = (rollingUpdate: Record<string, unknown>) => {
      const d = deployment();
      (d.spec as Record<string, unknown>).strategy = { type: 'RollingUpdate', rollingUpdate };
      return prepareForCreate(deployments, d, ctx('d'));
    };
    const message = (o: KubeObject) => invalid(() => validateCreate(deployments, o)).message;
    expect(message(rolling({ maxSurge: 0, maxUnavailable: 0 }))).toContain(
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
    );
    expect(message(rolling({ maxSurge: '0%', maxUnavailable: 0 }))).toContain(
      'may not be 0 when `maxSurge` is 0',
    );
    expect(message(rolling({ maxSurge: 'lots' }))).toContain(
      'spec.strategy.rollingUpdate.maxSurge: Invalid value: "lots": must be an integer or percentage (e.g \'5%\')',
    );
    expect(message(rolling({ maxSurge: -1 }))).toContain(
      'spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0',
    );
    expect(message(rolling({ maxUnavailable: '150%' }))).toContain(
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%',
    );
    expect(() =>
      validateCreate(deployments, rolling({ maxSurge: '50%', maxUnavailable: 0 })),
    ).not.toThrow();
    expect(() =>
      validateCreate(deployments, rolling({ maxSurge: 0, maxUnavailable: 1 })),
    ).not.toThrow();
  });

  it('checks services: ports required, port range, names with several ports', () => {
    const none = prepareForCreate(services, { metadata: { name: 'a' }, spec: {} }, ctx('d'));
    expect(invalid(() => validateCreate(services, none)).message).toContain(
      'spec.ports: Required value',
    );
    const two = prepareForCreate(
      services,
      { metadata: { name: 'a' }, spec: { ports: [{ port: 80 }, { port: 70000 }] } },
      ctx('d'),
    );
    const message = invalid(() => validateCreate(services, two)).message;
    expect(message).toContain('spec.ports[0].name: Required value');
    expect(message).toContain(
      'spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
    );
    const headless = prepareForCreate(
      services,
      { metadata: { name: 'a' }, spec: { clusterIP: 'None' } },
      ctx('d'),
    );
    expect(() => validateCreate(services, headless)).not.toThrow();
  });

  it('checks config map keys', () => {
    const o = prepareForCreate(
      configmaps,
      { metadata: { name: 'c' }, data: { 'bad key': 'x' } },
      ctx('d'),
    );
    expect(invalid(() => validateCreate(configmaps, o)).message).toContain(
      'data: Invalid value: "bad key": a valid config key',
    );
  });
});

describe('prepareForUpdate and validateUpdate', () => {
  const stored = (): KubeObject => ({
    ...prepareForCreate(deployments, deployment(), ctx('default')),
    status: { replicas: 1 },
  });

  it('bumps generation on a spec change only, keeps status and identity', () => {
    const prev = stored();
    const labelled = {
      ...prev,
      metadata: { ...prev.metadata, labels: { x: 'y' } },
      status: { replicas: 99 },
    };
    const same = prepareForUpdate(deployments, labelled, prev);
    expect(same.metadata.generation).toBe(1);
    expect(same.status).toEqual({ replicas: 1 });
    const scaled = prepareForUpdate(
      deployments,
      { ...prev, spec: { ...(prev.spec as object), replicas: 3 } },
      prev,
    );
    expect(scaled.metadata.generation).toBe(2);
    const stripped = { ...prev, metadata: { name: 'web', namespace: 'default' } };
    const kept = prepareForUpdate(deployments, stripped, prev);
    expect(kept.metadata.uid).toBe(prev.metadata.uid);
    expect(kept.metadata.creationTimestamp).toBe(prev.metadata.creationTimestamp);
  });

  it('bumps a deployment generation on annotation changes (they are copied to replica sets)', () => {
    const prev = stored();
    const next = { ...prev, metadata: { ...prev.metadata, annotations: { a: 'b' } } };
    expect(prepareForUpdate(deployments, next, prev).metadata.generation).toBe(2);
  });

  it('status updates keep spec and generation', () => {
    const prev = stored();
    const next = { ...prev, spec: { replicas: 50 }, status: { replicas: 2, readyReplicas: 2 } };
    const o = prepareForUpdate(deployments, next, prev, 'status');
    expect(o.spec).toEqual(prev.spec);
    expect(o.status).toEqual({ replicas: 2, readyReplicas: 2 });
    expect(o.metadata.generation).toBe(1);
  });

  it('scale updates change replicas and bump generation', () => {
    const prev = stored();
    const o = prepareForUpdate(
      deployments,
      { metadata: { name: 'web' }, spec: { replicas: 5 } },
      prev,
      'scale',
    );
    expect((o.spec as { replicas: number }).replicas).toBe(5);
    expect(o.metadata.generation).toBe(2);
    expect(o.status).toEqual(prev.status);
  });

  it('rejects a changed deployment selector and a renamed object', () => {
    const prev = stored();
    const next = prepareForUpdate(deployments, JSON.parse(JSON.stringify(prev)), prev);
    (next.spec as { selector: unknown }).selector = { matchLabels: { app: 'web', v: '2' } };
    (
      next.spec as { template: { metadata: { labels: Record<string, string> } } }
    ).template.metadata.labels.v = '2';
    expect(invalid(() => validateUpdate(deployments, next, prev)).message).toContain(
      'spec.selector: Invalid value: {"matchLabels":{"app":"web","v":"2"}}: field is immutable',
    );
    const renamed = { ...prev, metadata: { ...prev.metadata, name: 'other' } };
    expect(invalid(() => validateUpdate(deployments, renamed, prev)).message).toContain(
      'metadata.name: Invalid value: "other": field is immutable',
    );
  });

  it('lets a pod change its image but nothing else in spec', () => {
    const prev = prepareForCreate(pods, pod(), ctx('default'));
    const image = JSON.parse(JSON.stringify(prev)) as KubeObject;
    (image.spec as { containers: { image: string }[] }).containers[0].image = 'nginx:1.28';
    expect(() => validateUpdate(pods, prepareForUpdate(pods, image, prev), prev)).not.toThrow();
    const other = JSON.parse(JSON.stringify(prev)) as KubeObject;
    (other.spec as Record<string, unknown>).restartPolicy = 'Never';
    const err = invalid(() => validateUpdate(pods, prepareForUpdate(pods, other, prev), prev));
    expect(err.message).toContain(
      'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`',
    );
  });

  it('keeps an allocated clusterIP when the update leaves it out, and rejects changing it', () => {
    const prev = prepareForCreate(
      services,
      { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } },
      ctx('d'),
    );
    (prev.spec as Record<string, unknown>).clusterIP = '10.96.0.10';
    (prev.spec as Record<string, unknown>).clusterIPs = ['10.96.0.10'];
    const next = prepareForUpdate(
      services,
      { metadata: { name: 'web', namespace: 'd' }, spec: { ports: [{ port: 81 }] } },
      prev,
    );
    expect((next.spec as Record<string, unknown>).clusterIP).toBe('10.96.0.10');
    expect(() => validateUpdate(services, next, prev)).not.toThrow();
    (next.spec as Record<string, unknown>).clusterIP = '10.96.0.11';
    (next.spec as Record<string, unknown>).clusterIPs = ['10.96.0.11'];
    expect(invalid(() => validateUpdate(services, next, prev)).message).toContain(
      'may not change once set',
    );
  });

  it('keeps namespace finalizers on the main resource', () => {
    const prev = prepareForCreate(namespaces, { metadata: { name: 'team' } }, ctx());
    const next = prepareForUpdate(
      namespaces,
      { metadata: { name: 'team' }, spec: { finalizers: [] } },
      prev,
    );
    expect(next.spec).toEqual({ finalizers: ['kubernetes'] });
  });

  it('refuses changes to an immutable config map', () => {
    const prev = prepareForCreate(
      configmaps,
      { metadata: { name: 'c' }, data: { a: '1' }, immutable: true },
      ctx('d'),
    );
    const next = prepareForUpdate(configmaps, { ...prev, data: { a: '2' } }, prev);
    expect(invalid(() => validateUpdate(configmaps, next, prev)).message).toContain(
      'data: Forbidden: field is immutable when `immutable` is set',
    );
  });
});

describe('unknownFields', () => {
  it('finds misspelled fields at any depth', () => {
    const d = deployment() as KubeObject & { spec: Record<string, unknown> };
    d.spec.replica = 3;
    (
      d.spec.template as { spec: { containers: Record<string, unknown>[] } }
    ).spec.containers[0].imagee = 'x';
    d.metadata = { ...d.metadata, labelz: {} } as KubeObject['metadata'];
    expect(unknownFields(deployments, d).sort()).toEqual(
      ['metadata.labelz', 'spec.replica', 'spec.template.spec.containers[0].imagee'].sort(),
    );
    expect(strictDecodingError(['spec.replica']).message).toBe(
      'strict decoding error: unknown field "spec.replica"',
    );
  });

  it('accepts a full, valid manifest and anything inside unmodelled objects', () => {
    const p = pod();
    (p.spec as Record<string, unknown>).affinity = { nodeAffinity: { whatever: true } };
    (p as Record<string, unknown>).status = { anything: 1 };
    expect(unknownFields(pods, prepareForCreate(pods, p, ctx('d')))).toEqual([]);
  });
});

describe('node pod ranges', () => {
  const created = prepareForCreate(nodes, { metadata: { name: 'n1' } }, ctx());
  const node = (spec: Record<string, unknown>): KubeObject => ({ ...created, spec });

  it('may be set once, from nothing, and never changed or dropped after', () => {
    const bare = node({});
    const set = node({ podCIDR: '10.244.3.0/24', podCIDRs: ['10.244.3.0/24'] });
    expect(() => validateUpdate(nodes, set, bare)).not.toThrow();
    expect(() => validateUpdate(nodes, { ...set, metadata: set.metadata }, set)).not.toThrow();
    const moved = node({ podCIDR: '10.244.4.0/24', podCIDRs: ['10.244.4.0/24'] });
    expect(invalid(() => validateUpdate(nodes, moved, set)).message).toContain(
      'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
    );
    expect(invalid(() => validateUpdate(nodes, bare, set)).message).toContain('spec.podCIDRs');
  });

  it('changes through finalize only for a namespace: spec.finalizers and nothing else', () => {
    const prev = prepareForCreate(namespaces, { metadata: { name: 'n' } }, ctx());
    const asked = {
      ...prev,
      metadata: { ...prev.metadata, labels: { x: 'y' }, resourceVersion: '5' },
      spec: { finalizers: [] },
      status: { phase: 'Gone' },
    };
    const next = prepareForUpdate(namespaces, asked, prev, 'finalize');
    expect(next.spec).toEqual({ finalizers: [] });
    expect(next.status).toEqual(prev.status);
    expect(next.metadata.labels).toEqual(prev.metadata.labels);
    expect(next.metadata.resourceVersion).toBe('5');
    // A plain update cannot touch them.
    const plain = prepareForUpdate(namespaces, asked, prev);
    expect(plain.spec).toEqual({ finalizers: ['kubernetes'] });
  });
});

describe('RBAC object names', () => {
  const clusterRoles = findResource('rbac.authorization.k8s.io', 'v1', 'clusterroles')!;
  const roleBindings = findResource('rbac.authorization.k8s.io', 'v1', 'rolebindings')!;
  const role = (name: string): KubeObject => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name },
    rules: [],
  });

  it('may be any path segment, as the bootstrap policy names them (system:kube-scheduler)', () => {
    expect(() => validateCreate(clusterRoles, role('system:kube-scheduler'))).not.toThrow();
    expect(() => validateCreate(clusterRoles, role('Mixed_Case'))).not.toThrow();
  });

  it("may not be '.' or '..', nor hold '/' or '%'", () => {
    for (const [name, problem] of [
      ['..', "may not be '..'"],
      ['a/b', "may not contain '/'"],
      ['a%b', "may not contain '%'"],
    ]) {
      expect(() => validateCreate(clusterRoles, role(name))).toThrow(problem);
    }
    const binding: KubeObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'a/b', namespace: 'default' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
    };
    expect(() => validateCreate(roleBindings, binding)).toThrow("may not contain '/'");
  });
});
