// CustomResourceDefinitions as the real kubectl meets them on a three-master cluster: apply a CRD,
// wait for Established, apply/get/explain/scale/patch/delete custom objects, the resource served
// on every master and after all masters restart, Kubernetes' 422 causes for an invalid CRD and
// an object failing its schema, and the resource gone with its objects once the CRD is deleted.
import { MasterCluster } from './support/master-cluster';
import { TsProcess } from './support/ts-process';
import { waitFor } from './support/wait';

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    shortNames: [wd]
    categories: [all]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
        labelSelectorPath: .status.selector
    additionalPrinterColumns:
    - {name: Color, type: string, jsonPath: .spec.color}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        description: A widget with a color and some replicas.
        properties:
          spec:
            type: object
            description: What the widget should be.
            required: [color]
            properties:
              color:
                type: string
                description: The color of the widget.
                enum: [red, green, blue]
              replicas: {type: integer, minimum: 0, maximum: 10, default: 1}
              size: {type: string, pattern: '^[0-9]+(cm|m)$'}
          status:
            type: object
            properties:
              replicas: {type: integer}
              selector: {type: string}
`;

const widget = (name: string, spec: string) => `apiVersion: example.com/v1
kind: Widget
metadata:
  name: ${name}
spec:
${spec}
`;

describe('custom resources with the real kubectl', () => {
  let cluster: MasterCluster;
  const kubectl = (args: string[], input?: string, context?: string) =>
    cluster.kubectl(args, { input, context });

  beforeAll(async () => {
    cluster = await MasterCluster.start(3);
    await cluster.waitForApi();
  }, 120_000);

  afterAll(async () => {
    await cluster?.shutdown();
  });

  /** `kubectl get widgets` on one master until it answers (each master follows the CRD itself). */
  const servedOn = (context: string) =>
    waitFor(
      `widgets served on ${context}`,
      async () => {
        const r = await kubectl(['get', 'widgets', '-o', 'name'], undefined, context);
        return r.code === 0 ? r.stdout : undefined;
      },
      30_000,
      250,
    );

  it('applies a CRD, which becomes Established and is served on every master', async () => {
    const applied = await kubectl(['apply', '-f', '-'], CRD);
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim()).toBe(
      'customresourcedefinition.apiextensions.k8s.io/widgets.example.com created',
    );
    const waited = await kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=30s',
      'crd/widgets.example.com',
    ]);
    expect(waited.stdout.trim()).toBe(
      'customresourcedefinition.apiextensions.k8s.io/widgets.example.com condition met',
    );
    for (const name of cluster.names) expect(await servedOn(`flotilla-${name}`)).toBe('');
    const crds = await kubectl(['get', 'crds']);
    expect(crds.stdout).toMatch(/^NAME\s+CREATED AT\n/);
    expect(crds.stdout).toMatch(/widgets\.example\.com\s+\d{4}-\d\d-\d\dT/);
  }, 90_000);

  it('applies custom objects with defaults and prints the printer columns', async () => {
    const applied = await kubectl(['apply', '-f', '-'], widget('w1', '  color: red'));
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim()).toBe('widget.example.com/w1 created');
    const again = await kubectl(['apply', '-f', '-'], widget('w1', '  color: blue\n  size: 3m'));
    expect(again.stdout.trim()).toBe('widget.example.com/w1 configured');
    const table = await kubectl(['get', 'wd']);
    expect(table.stdout).toMatch(/^NAME\s+COLOR\s+REPLICAS\s+AGE\n/);
    expect(table.stdout).toMatch(/w1\s+blue\s+1\s+\d+s/);
    const json = JSON.parse((await kubectl(['get', 'widget', 'w1', '-o', 'json'])).stdout);
    expect(json.spec).toEqual({ color: 'blue', size: '3m', replicas: 1 });
    // Another master reads the same object.
    const m3 = await kubectl(
      ['get', 'widgets', 'w1', '-o', 'jsonpath={.spec.color}'],
      undefined,
      'flotilla-m3',
    );
    expect(m3.stdout).toBe('blue');
    // The category: `kubectl get all` lists widgets too.
    expect((await kubectl(['get', 'all'])).stdout).toContain('widget.example.com/w1');
  }, 60_000);

  it('explains the custom resource from its schema', async () => {
    const explained = await kubectl(['explain', 'widgets.spec.color']);
    expect(explained.stderr).toBe('');
    expect(explained.stdout).toContain('KIND:       Widget');
    expect(explained.stdout).toContain('The color of the widget.');
    const spec = await kubectl(['explain', 'widget.spec']);
    expect(spec.stdout).toContain('What the widget should be.');
    expect(spec.stdout).toMatch(/replicas\s+<integer>/);
  }, 60_000);

  it('answers objects failing the schema and unknown fields with field causes', async () => {
    const bad = await kubectl(['apply', '-f', '-'], widget('w2', '  color: pink\n  replicas: 11'));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('The Widget "w2" is invalid');
    expect(bad.stderr).toContain(
      'spec.color: Unsupported value: "pink": supported values: "red", "green", "blue"',
    );
    expect(bad.stderr).toContain(
      'spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10',
    );
    const unknown = await kubectl(
      ['apply', '-f', '-'],
      widget('w2', '  color: red\n  colour: red'),
    );
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('unknown field "spec.colour"');
  }, 60_000);

  it('scales through the scale subresource and patches with merge and JSON patches', async () => {
    const scaled = await kubectl(['scale', 'widget/w1', '--replicas=4']);
    expect(scaled.stderr).toBe('');
    expect(scaled.stdout.trim()).toBe('widget.example.com/w1 scaled');
    const merge = await kubectl([
      'patch',
      'widget',
      'w1',
      '--type=merge',
      '-p',
      '{"spec":{"color":"green"}}',
    ]);
    expect(merge.stdout.trim()).toBe('widget.example.com/w1 patched');
    const jsonPatch = await kubectl([
      'patch',
      'widget',
      'w1',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/size","value":"5cm"}]',
    ]);
    expect(jsonPatch.stdout.trim()).toBe('widget.example.com/w1 patched');
    const strategic = await kubectl(['patch', 'widget', 'w1', '-p', '{"spec":{"color":"red"}}']);
    expect(strategic.code).not.toBe(0);
    expect(strategic.stderr).toContain('application/strategic-merge-patch+json');
    const status = await kubectl([
      'patch',
      'widget',
      'w1',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"replicas":4,"selector":"app=w1"},"spec":{"color":"red"}}',
    ]);
    expect(status.stderr).toBe('');
    const w1 = JSON.parse((await kubectl(['get', 'widget', 'w1', '-o', 'json'])).stdout);
    expect(w1.spec).toEqual({ color: 'green', size: '5cm', replicas: 4 });
    expect(w1.status).toEqual({ replicas: 4, selector: 'app=w1' });
    // Created, configured, scaled, merge- and JSON-patched: the status patch is no new generation.
    expect(w1.metadata.generation).toBe(5);
    const server = await kubectl(
      ['apply', '--server-side', '--field-manager=test', '-f', '-'],
      widget('w3', '  color: red\n  replicas: 2'),
    );
    expect(server.stdout.trim()).toBe('widget.example.com/w3 serverside-applied');
  }, 60_000);

  it('rejects an invalid CRD with the field paths', async () => {
    const invalid = CRD.replace('name: widgets.example.com', 'name: gadgets.example.com').replace(
      '            type: object\n            description: What the widget should be.',
      '            description: What the widget should be.',
    );
    const r = await kubectl(['apply', '-f', '-'], invalid);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The CustomResourceDefinition "gadgets.example.com" is invalid');
    expect(r.stderr).toContain(
      'metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural+"."+spec.group',
    );
    expect(r.stderr).toContain(
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
    );
  }, 60_000);

  it('runs the example WebApp operator; a killed master changes nothing; owned objects go with the WebApp', async () => {
    const operator = new TsProcess('examples/webapp-operator/main.ts', [], {
      env: { KUBECONFIG: cluster.kubeconfig },
    });
    try {
      await waitFor(
        'the operator reconciling',
        () => (operator.stdout.includes('reconciling WebApps') ? true : undefined),
        60_000,
      );
      const app = `apiVersion: example.flotilla.io/v1
kind: WebApp
metadata: {name: shop}
spec: {image: "nginx:1.27", replicas: 2}
`;
      expect((await kubectl(['apply', '-f', '-'], app)).stdout.trim()).toBe(
        'webapp.example.flotilla.io/shop created',
      );
      const deployed = async () => {
        const d = await kubectl(['get', 'deployment', 'shop', '-o', 'jsonpath={.spec.replicas}']);
        const s = await kubectl(['get', 'service', 'shop', '-o', 'jsonpath={.spec.ports[0].port}']);
        return d.code === 0 && s.code === 0 ? `${d.stdout} ${s.stdout}` : undefined;
      };
      expect(await waitFor('the Deployment and Service', deployed, 30_000, 250)).toBe('2 8080');
      // A master other than m1 (kubectl's) is killed: the operator and the resource carry on.
      cluster.kill('m2');
      await kubectl(['patch', 'webapp', 'shop', '--type=merge', '-p', '{"spec":{"replicas":3}}']);
      expect(
        await waitFor(
          '3 replicas',
          async () => ((await deployed())?.startsWith('3 ') ? true : undefined),
          30_000,
          250,
        ),
      ).toBe(true);
      const table = await kubectl(['get', 'wa']);
      expect(table.stdout).toMatch(/^NAME\s+IMAGE\s+READY\s+URL\n/);
      expect(table.stdout).toContain('http://shop.default.svc:8080');
      cluster.startMember('m2');
      await cluster.waitReady('m2');
      // The garbage collector in the masters deletes what the WebApp owned.
      await kubectl(['delete', 'webapp', 'shop']);
      await waitFor(
        'the owned Deployment and Service gone',
        async () => {
          const d = await kubectl(['get', 'deployment', 'shop']);
          const s = await kubectl(['get', 'service', 'shop']);
          return d.code !== 0 && s.code !== 0 ? true : undefined;
        },
        30_000,
        250,
      );
    } finally {
      operator.kill();
    }
  }, 180_000);

  it('keeps serving the resource and its objects after every master restarts', async () => {
    for (const name of [...cluster.names]) await cluster.stop(name);
    for (const name of cluster.names) cluster.startMember(name);
    for (const name of cluster.names) await cluster.waitReady(name);
    for (const name of cluster.names) {
      const got = await kubectl(['get', 'widgets', '-o', 'name'], undefined, `flotilla-${name}`);
      expect(got.stderr).toBe('');
      expect(got.stdout.trim().split('\n').sort()).toEqual([
        'widget.example.com/w1',
        'widget.example.com/w3',
      ]);
    }
  }, 180_000);

  it('deletes the objects with the CRD and stops serving the resource', async () => {
    const deleted = await kubectl(['delete', 'crd', 'widgets.example.com', '--timeout=60s']);
    expect(deleted.stdout.trim()).toBe(
      'customresourcedefinition.apiextensions.k8s.io "widgets.example.com" deleted',
    );
    for (const name of cluster.names) {
      await waitFor(
        `widgets gone on ${name}`,
        async () => {
          // Not in discovery any more, and its path answers 404 (kubectl may have it cached).
          const raw = await kubectl(
            ['get', '--raw', '/apis/example.com/v1/widgets'],
            undefined,
            `flotilla-${name}`,
          );
          const groups = await kubectl(['get', '--raw', '/apis'], undefined, `flotilla-${name}`);
          return raw.stderr.includes('NotFound') && !groups.stdout.includes('example.com')
            ? true
            : undefined;
        },
        30_000,
        250,
      );
    }
    const etcd = await cluster.etcdctl([
      'get',
      '--prefix',
      '--keys-only',
      '/registry/example.com/',
    ]);
    expect(etcd.stdout.trim()).toBe('');
  }, 120_000);
});
