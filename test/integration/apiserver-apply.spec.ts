// Server-side apply on three real masters: the real kubectl (apply --server-side, conflicts,
// --force-conflicts, removal, --dry-run=server, client-side apply beside it) and plain HTTP.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Json, KubeHttp } from './support/kube-http';
import { MasterCluster } from './support/master-cluster';

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
const itWithKubectl = hasKubectl ? it : it.skip;

const APPLY = 'application/apply-patch+yaml';

const deployment = (
  name: string,
  opts: { replicas: number; ports: number[]; image?: string },
) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: default
  labels: {app: ${name}}
spec:
  replicas: ${opts.replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: web
        image: ${opts.image ?? 'nginx:1.27'}
        ports:
${opts.ports.map((p) => `        - containerPort: ${p}`).join('\n')}
`;

/** manager/operation[/subresource] of each managedFields entry. */
const managers = (o: Json): string[] =>
  (o.metadata.managedFields ?? []).map(
    (e: Json) => `${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ''}`,
  );

describe('server-side apply on three real masters', () => {
  let cluster: MasterCluster;
  let m1: KubeHttp;
  let m3: KubeHttp;

  beforeAll(async () => {
    // The API server alone: no controller writes status or ReplicaSets under the scenarios'
    // read-modify-write steps (controller-manager-cluster.spec.ts tests the controllers).
    cluster = await MasterCluster.start(3, ['--disable-controller-manager']);
    m1 = new KubeHttp(`http://127.0.0.1:${cluster.ports.get('m1')!.api}`);
    m3 = new KubeHttp(`http://127.0.0.1:${cluster.ports.get('m3')!.api}`);
    await cluster.waitForApi();
  }, 120_000);

  afterAll(async () => {
    await cluster?.shutdown();
  });

  const kubectl = (args: string[], context = 'flotilla-m1') => cluster.kubectl(args, { context });
  const file = (name: string, text: string) => {
    const path = join(cluster.root, name);
    writeFileSync(path, text);
    return path;
  };
  const getJson = async (what: string[], context?: string) =>
    JSON.parse(
      (await kubectl(['get', ...what, '-o', 'json', '--show-managed-fields'], context)).stdout,
    ) as Json;

  describe('with kubectl', () => {
    itWithKubectl(
      'apply --server-side creates, and the Apply entry of "kubectl" shows',
      async () => {
        const path = file('deploy.yaml', deployment('web', { replicas: 2, ports: [80, 443] }));
        const applied = await kubectl(['apply', '--server-side', '-f', path]);
        expect(applied).toMatchObject({
          code: 0,
          stdout: 'deployment.apps/web serverside-applied\n',
        });

        const yaml = (
          await kubectl(['get', 'deploy', 'web', '-o', 'yaml', '--show-managed-fields'])
        ).stdout;
        expect(yaml).toMatch(
          /managedFields:\n {2}- apiVersion: apps\/v1\n {4}fieldsType: FieldsV1/,
        );
        expect(yaml).toContain('    manager: kubectl\n    operation: Apply\n');
        expect(yaml).toContain('k:{"containerPort":443,"protocol":"TCP"}:');
        const plain = (await kubectl(['get', 'deploy', 'web', '-o', 'yaml'])).stdout;
        expect(plain).not.toContain('managedFields');

        // Another master serves the same object and entry.
        const onM3 = await getJson(['deploy', 'web'], 'flotilla-m3');
        expect(managers(onM3)).toEqual(['kubectl/Apply']);
        expect(onM3.metadata.managedFields[0].fieldsV1['f:spec']).toMatchObject({
          'f:replicas': {},
          'f:selector': {},
        });
        expect(onM3.spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
      },
    );

    itWithKubectl(
      'scale, then re-applying replicas 2 fails with the conflict on spec.replicas; --force-conflicts takes it',
      async () => {
        const path = join(cluster.root, 'deploy.yaml');
        expect((await kubectl(['scale', 'deploy', 'web', '--replicas=5'])).stdout).toBe(
          'deployment.apps/web scaled\n',
        );
        expect(managers(await getJson(['deploy', 'web']))).toEqual([
          'kubectl/Apply',
          'kubectl/Update/scale',
        ]);

        const refused = await kubectl(['apply', '--server-side', '-f', path]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(
          'error: Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas\n' +
            'Please review the fields above--they currently have other managers.',
        );
        expect(refused.stderr).toContain('--force-conflicts');
        expect((await getJson(['deploy', 'web'])).spec.replicas).toBe(5);

        const forced = await kubectl(['apply', '--server-side', '--force-conflicts', '-f', path]);
        expect(forced).toMatchObject({
          code: 0,
          stdout: 'deployment.apps/web serverside-applied\n',
        });
        const after = await getJson(['deploy', 'web']);
        expect(after.spec.replicas).toBe(2);
        expect(managers(after)).toEqual(['kubectl/Apply']);
        expect(after.metadata.managedFields[0].fieldsV1['f:spec']['f:replicas']).toEqual({});
      },
    );

    itWithKubectl('a port left out of the file is removed from the object', async () => {
      const path = file('deploy.yaml', deployment('web', { replicas: 2, ports: [80] }));
      expect((await kubectl(['apply', '--server-side', '-f', path])).code).toBe(0);
      const web = await getJson(['deploy', 'web'], 'flotilla-m2');
      expect(web.spec.template.spec.containers[0].ports).toEqual([
        { containerPort: 80, protocol: 'TCP' },
      ]);
      const ports =
        web.metadata.managedFields[0].fieldsV1['f:spec']['f:template']['f:spec']['f:containers'][
          'k:{"name":"web"}'
        ]['f:ports'];
      expect(Object.keys(ports)).toEqual(['k:{"containerPort":80,"protocol":"TCP"}']);
    });

    itWithKubectl('--dry-run=server answers the result and changes nothing', async () => {
      const before = await getJson(['deploy', 'web']);
      const path = file(
        'deploy-dry.yaml',
        deployment('web', { replicas: 7, ports: [80, 8080], image: 'nginx:1.28' }),
      );
      const dry = await kubectl([
        'apply',
        '--server-side',
        '--dry-run=server',
        '-f',
        path,
        '-o',
        'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}',
      ]);
      expect(dry).toMatchObject({ code: 0, stdout: '7 nginx:1.28' });
      const after = await getJson(['deploy', 'web']);
      expect(after).toEqual(before);
      const created = await kubectl([
        'apply',
        '--server-side',
        '--dry-run=server',
        '-f',
        file('ghost.yaml', deployment('ghost', { replicas: 1, ports: [80] })),
      ]);
      expect(created.stdout).toBe('deployment.apps/ghost serverside-applied (server dry run)\n');
      expect((await kubectl(['get', 'deploy', 'ghost'])).stderr).toContain('NotFound');
    });

    itWithKubectl(
      'client-side apply works as before, records its manager, and moves to server-side apply',
      async () => {
        const path = file('csa.yaml', deployment('csa', { replicas: 1, ports: [80, 443] }));
        expect((await kubectl(['apply', '-f', path])).stdout).toBe('deployment.apps/csa created\n');
        expect((await kubectl(['apply', '-f', path])).stdout).toBe(
          'deployment.apps/csa unchanged\n',
        );
        const csa = await getJson(['deploy', 'csa']);
        expect(managers(csa)).toEqual(['kubectl-client-side-apply/Update']);
        expect(
          csa.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'],
        ).toContain('"name":"csa"');

        // kubectl moves the client-side fields to its Apply entry (a JSON patch of managedFields).
        const ssa = await kubectl(['apply', '--server-side', '-f', path]);
        expect(ssa).toMatchObject({ code: 0, stdout: 'deployment.apps/csa serverside-applied\n' });
        const migrated = await getJson(['deploy', 'csa']);
        expect(managers(migrated)).toContain('kubectl/Apply');
        expect(managers(migrated)).not.toContain('kubectl-client-side-apply/Update');

        // And back: client-side apply of an edited file still patches.
        const edited = file('csa.yaml', deployment('csa', { replicas: 3, ports: [80, 443] }));
        expect((await kubectl(['apply', '-f', edited])).stdout).toBe(
          'deployment.apps/csa configured\n',
        );
        expect((await getJson(['deploy', 'csa'])).spec.replicas).toBe(3);
        expect((await kubectl(['label', 'deploy', 'csa', 'tier=x'])).code).toBe(0);
        expect(managers(await getJson(['deploy', 'csa']))).toContain('kubectl-label/Update');
      },
    );
  });

  describe('over HTTP', () => {
    const url = '/api/v1/namespaces/default/configmaps/ssa-http';
    const body = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-http\ndata:\n  a: "1"\n';

    it('creates from YAML with an explicit fieldManager (201), then merges (200)', async () => {
      const created = await m1.patch(`${url}?fieldManager=tester`, APPLY, body);
      expect(created.status).toBe(201);
      expect(managers(created.body)).toEqual(['tester/Apply']);
      const merged = await m3.patch(
        `${url}?fieldManager=other`,
        APPLY,
        '{"apiVersion":"v1","kind":"ConfigMap","data":{"b":"2"}}',
      );
      expect(merged.status).toBe(200);
      expect(merged.body.data).toEqual({ a: '1', b: '2' });
      // Kubernetes' order: Apply entries by time (to the second), then by manager. The two
      // requests usually fall in the same second, but not always.
      const [tester, other] = ['tester', 'other'].map(
        (name) => merged.body.metadata.managedFields.find((e: Json) => e.manager === name).time,
      );
      expect(managers(merged.body)).toEqual(
        tester === other ? ['other/Apply', 'tester/Apply'] : ['tester/Apply', 'other/Apply'],
      );
    });

    it.each([
      [
        'no fieldManager',
        '',
        body,
        422,
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      ],
      ['malformed YAML', '?fieldManager=x', 'data: {a: "1"\nkind', 400, 'error decoding YAML: '],
      [
        'another name than the URL',
        '?fieldManager=x',
        body.replace('name: ssa-http', 'name: elsewhere'),
        400,
        'the name of the object (elsewhere) does not match the name on the URL (ssa-http)',
      ],
    ])(
      'answers %s as Kubernetes does, and keeps serving',
      async (_, query, text, status, message) => {
        const r = await m1.patch(`${url}${query}`, APPLY, text);
        expect(r.status).toBe(status);
        expect(r.body).toMatchObject({ kind: 'Status', status: 'Failure', code: status });
        expect(r.body.message).toContain(message);
        expect((await m1.get('/readyz')).status).toBe(200);
        expect((await m1.get(url)).body.data).toEqual({ a: '1', b: '2' });
      },
    );
  });
});
