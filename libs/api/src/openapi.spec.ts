import { openApiV3Document, openApiV3Paths } from './openapi';

type Schema = Record<string, unknown>;
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Schema>>;
  components: { schemas: Record<string, Schema> };
};

function resolve(doc: Doc, schema: Schema): Schema {
  let cur = schema;
  for (let i = 0; i < 10; i++) {
    if (typeof cur.$ref === 'string')
      cur = doc.components.schemas[cur.$ref.replace('#/components/schemas/', '')];
    else if (Array.isArray(cur.allOf)) cur = cur.allOf[0] as Schema;
    else return cur;
    expect(cur).toBeDefined();
  }
  return cur;
}

/** Paths of the value's fields that the schema cannot place. */
function unresolved(
  doc: Doc,
  schema: Schema,
  value: unknown,
  path: string,
  out: string[],
): string[] {
  const s = resolve(doc, schema);
  if (s['x-kubernetes-preserve-unknown-fields']) return out;
  if (Array.isArray(value)) {
    value.forEach((v, i) => unresolved(doc, s.items as Schema, v, `${path}[${i}]`, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const props = s.properties as Record<string, Schema> | undefined;
      const child = props?.[k] ?? (s.additionalProperties as Schema | undefined);
      if (!child) out.push(`${path}.${k}`);
      else unresolved(doc, child, v, `${path}.${k}`, out);
    }
  }
  return out;
}

function kindSchema(doc: Doc, group: string, kind: string): Schema {
  const found = Object.values(doc.components.schemas).find((s) =>
    (s['x-kubernetes-group-version-kind'] as { group: string; kind: string }[] | undefined)?.some(
      (g) => g.group === group && g.kind === kind,
    ),
  );
  expect(found).toBeDefined();
  return found!;
}

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'default',
    labels: { app: 'web' },
    annotations: { note: 'x' },
  },
  spec: {
    replicas: 3,
    revisionHistoryLimit: 5,
    progressDeadlineSeconds: 600,
    minReadySeconds: 1,
    selector: {
      matchLabels: { app: 'web' },
      matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }],
    },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        nodeSelector: { disk: 'ssd' },
        tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] },
          },
        },
        securityContext: { runAsNonRoot: true },
        terminationGracePeriodSeconds: 10,
        volumes: [
          { name: 'cfg', configMap: { name: 'web' } },
          { name: 'tmp', emptyDir: {} },
        ],
        containers: [
          {
            name: 'app',
            image: 'nginx:1.27',
            imagePullPolicy: 'IfNotPresent',
            command: ['nginx'],
            args: ['-g', 'daemon off;'],
            ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
            env: [
              { name: 'A', value: '1' },
              { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            ],
            resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m' } },
            volumeMounts: [{ name: 'cfg', mountPath: '/etc/nginx/conf.d', readOnly: true }],
            readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
            livenessProbe: { tcpSocket: { port: 80 } },
          },
        ],
      },
    },
  },
};

describe('openapi v3', () => {
  it('indexes every served group-version with a hashed URL', () => {
    const paths = openApiV3Paths();
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        'api/v1',
        'apis/apps/v1',
        'apis/coordination.k8s.io/v1',
        'apis/discovery.k8s.io/v1',
        'apis/events.k8s.io/v1',
      ]),
    );
    expect(paths['apis/apps/v1'].serverRelativeURL).toMatch(
      /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/,
    );
    expect(openApiV3Document('nope', 'v1')).toBeUndefined();
  });

  it('resolves every field of a valid Deployment manifest', () => {
    const doc = openApiV3Document('apps', 'v1') as unknown as Doc;
    expect(doc.openapi).toBe('3.0.0');
    expect(unresolved(doc, kindSchema(doc, 'apps', 'Deployment'), deployment, '', [])).toEqual([]);
    const typo = { ...deployment, spec: { ...deployment.spec, replica: 3 } };
    expect(unresolved(doc, kindSchema(doc, 'apps', 'Deployment'), typo, '', [])).toEqual([
      '.spec.replica',
    ]);
  });

  it('declares fieldValidation on each PATCH of a kind, tagged with its GVK, without strategic merge', () => {
    const doc = openApiV3Document('', 'v1') as unknown as Doc;
    const patches = Object.values(doc.paths)
      .map((p) => p.patch)
      .filter(
        (op) =>
          (op?.['x-kubernetes-group-version-kind'] as { kind: string } | undefined)?.kind === 'Pod',
      );
    expect(patches.length).toBeGreaterThan(0);
    for (const op of patches) {
      expect(
        (op.parameters as { name: string; in: string }[]).some(
          (p) => p.name === 'fieldValidation' && p.in === 'query',
        ),
      ).toBe(true);
      const content = (op.requestBody as { content: Record<string, unknown> }).content;
      expect(content['application/strategic-merge-patch+json']).toBeUndefined();
    }
    expect(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}']).toBeDefined();
    expect(doc.paths['/api/v1/nodes/{name}/status']).toBeDefined();
  });

  it('carries every schema a document references', () => {
    for (const key of Object.keys(openApiV3Paths())) {
      const [, group, version] = key.startsWith('api/') ? ['', '', key.slice(4)] : key.split('/');
      const doc = openApiV3Document(group, version)!;
      const text = JSON.stringify(doc);
      const schemas = (doc.components as { schemas: Record<string, unknown> }).schemas;
      for (const m of text.matchAll(/#\/components\/schemas\/([^"]+)/g))
        expect(schemas[m[1]]).toBeDefined();
    }
  });

  it('models the core kinds kubectl creates from manifests', () => {
    const doc = openApiV3Document('', 'v1') as unknown as Doc;
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: {
        type: 'NodePort',
        selector: { a: 'b' },
        ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080, protocol: 'TCP' }],
      },
    };
    expect(unresolved(doc, kindSchema(doc, '', 'Service'), svc, '', [])).toEqual([]);
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { a: 'b' },
      immutable: false,
    };
    expect(unresolved(doc, kindSchema(doc, '', 'ConfigMap'), cm, '', [])).toEqual([]);
  });
});
