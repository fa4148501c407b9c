import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeKubernetesProtobuf,
  decodeWatchEventFrames,
  encodeKubernetesProtobuf,
  encodeMessage,
  ProtoWriter,
  WireType,
} from '@flotilla/api';
import { MasterCluster } from './support/master-cluster';
import { Json } from './support/kube-http';
import { waitFor } from './support/wait';

const PB = 'application/vnd.kubernetes.protobuf';
/** Skip only when there is no kubectl to run. */
const HAVE_KUBECTL = !spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).error;

/** A request whose body and answer may be binary. */
async function raw(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Uint8Array,
): Promise<{ status: number; contentType: string; bytes: Buffer; json?: Json }> {
  const response = await fetch(base + path, {
    method,
    headers,
    body,
    signal: AbortSignal.timeout(15_000),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const contentType = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    contentType,
    bytes,
    json: contentType.startsWith('application/json') ? JSON.parse(bytes.toString()) : undefined,
  };
}

/** A k8s\0 envelope around any raw message, for bodies the encoder would not write. */
function envelope(apiVersion: string, kind: string, message: Uint8Array): Buffer {
  const typeMeta = new ProtoWriter()
    .tag(1, WireType.Bytes)
    .string(apiVersion)
    .tag(2, WireType.Bytes)
    .string(kind);
  const unknown = new ProtoWriter()
    .tag(1, WireType.Bytes)
    .bytes(typeMeta.finish())
    .tag(2, WireType.Bytes)
    .bytes(message);
  return Buffer.concat([Buffer.from('k8s\0'), unknown.finish()]);
}

describe('protobuf request bodies on three real masters', () => {
  let cluster: MasterCluster;
  let bases: string[];

  beforeAll(async () => {
    // Pods here never get nodes: a scheduler would write their status between the test's writes.
    cluster = await MasterCluster.start(3, ['--disable-scheduler']);
    bases = cluster.names.map((n) => `http://127.0.0.1:${cluster.ports.get(n)!.api}`);
    await cluster.waitForApi();
  }, 120_000);

  afterAll(async () => {
    await cluster?.shutdown();
  });

  (HAVE_KUBECTL ? describe : describe.skip)('kubectl generators', () => {
    const kubectl = (args: string[], context = 'flotilla-m1') => cluster.kubectl(args, { context });
    const getJson = async (args: string[], context = 'flotilla-m1'): Promise<Json> => {
      const r = await kubectl(['get', ...args, '-o', 'json'], context);
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout);
    };

    it('create namespace, configmap, secret, deployment, services and a serviceaccount', async () => {
      const binary = join(cluster.root, 'blob.bin');
      writeFileSync(binary, Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80]));
      const steps: [string[], string, string][] = [
        [['create', 'namespace', 'gen'], 'flotilla-m1', 'namespace/gen created'],
        [
          ['-n', 'gen', 'create', 'configmap', 'c', '--from-literal=a=b', '--from-literal=c=d'],
          'flotilla-m2',
          'configmap/c created',
        ],
        [
          ['-n', 'gen', 'create', 'configmap', 'bin', `--from-file=blob=${binary}`],
          'flotilla-m3',
          'configmap/bin created',
        ],
        [
          ['-n', 'gen', 'create', 'secret', 'generic', 's', '--from-literal=password=hunter2'],
          'flotilla-m1',
          'secret/s created',
        ],
        [
          [
            '-n',
            'gen',
            'create',
            'secret',
            'docker-registry',
            'reg',
            '--docker-server=registry.example',
            '--docker-username=u',
            '--docker-password=p',
          ],
          'flotilla-m2',
          'secret/reg created',
        ],
        [
          [
            '-n',
            'gen',
            'create',
            'deployment',
            'web',
            '--image=nginx:1.27',
            '--replicas=2',
            '--port=80',
          ],
          'flotilla-m3',
          'deployment.apps/web created',
        ],
        [
          ['-n', 'gen', 'create', 'service', 'clusterip', 's', '--tcp=80:8080'],
          'flotilla-m1',
          'service/s created',
        ],
        [
          [
            '-n',
            'gen',
            'create',
            'service',
            'nodeport',
            'np',
            '--tcp=80:8080',
            '--node-port=30080',
          ],
          'flotilla-m2',
          'service/np created',
        ],
        [
          ['-n', 'gen', 'create', 'service', 'loadbalancer', 'lb', '--tcp=443:8443'],
          'flotilla-m3',
          'service/lb created',
        ],
        [
          ['-n', 'gen', 'create', 'service', 'externalname', 'en', '--external-name=example.com'],
          'flotilla-m1',
          'service/en created',
        ],
        [
          ['-n', 'gen', 'create', 'serviceaccount', 'robot'],
          'flotilla-m2',
          'serviceaccount/robot created',
        ],
      ];
      for (const [args, context, expected] of steps) {
        const r = await kubectl(args, context);
        expect({ args, stderr: r.stderr, code: r.code }).toEqual({ args, stderr: '', code: 0 });
        expect(r.stdout.trim()).toBe(expected);
      }

      const ns = await getJson(['namespace', 'gen'], 'flotilla-m3');
      expect(ns.status.phase).toBe('Active');

      const web = await getJson(['-n', 'gen', 'deployment', 'web'], 'flotilla-m2');
      expect(web.spec.replicas).toBe(2);
      expect(web.spec.selector).toEqual({ matchLabels: { app: 'web' } });
      expect(web.spec.template.metadata.labels).toEqual({ app: 'web' });
      expect(web.spec.template.spec.containers).toHaveLength(1);
      expect(web.spec.template.spec.containers[0]).toMatchObject({
        name: 'nginx',
        image: 'nginx:1.27',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
      });

      const c = await getJson(['-n', 'gen', 'configmap', 'c']);
      expect(c.data).toEqual({ a: 'b', c: 'd' });
      const bin = await getJson(['-n', 'gen', 'configmap', 'bin']);
      expect(bin.binaryData).toEqual({
        blob: Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80]).toString('base64'),
      });

      const s = await getJson(['-n', 'gen', 'secret', 's'], 'flotilla-m3');
      expect(s.type).toBe('Opaque');
      expect(s.data).toEqual({ password: Buffer.from('hunter2').toString('base64') });
      const reg = await getJson(['-n', 'gen', 'secret', 'reg']);
      expect(reg.type).toBe('kubernetes.io/dockerconfigjson');
      const config = JSON.parse(Buffer.from(reg.data['.dockerconfigjson'], 'base64').toString());
      expect(config.auths['registry.example']).toMatchObject({ username: 'u', password: 'p' });

      const svc = await getJson(['-n', 'gen', 'service', 's']);
      expect(svc.spec.type).toBe('ClusterIP');
      expect(svc.spec.ports).toEqual([
        { name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 },
      ]);
      expect(svc.spec.selector).toEqual({ app: 's' });
      // Allocated from 10.96.0.0/12.
      expect(svc.spec.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
      expect(svc.spec.clusterIPs).toEqual([svc.spec.clusterIP]);
      const np = await getJson(['-n', 'gen', 'service', 'np'], 'flotilla-m2');
      expect(np.spec.type).toBe('NodePort');
      expect(np.spec.ports[0]).toMatchObject({ port: 80, targetPort: 8080, nodePort: 30080 });
      const lb = await getJson(['-n', 'gen', 'service', 'lb']);
      expect(lb.spec.type).toBe('LoadBalancer');
      expect(lb.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
      expect(lb.spec.ports[0].nodePort).toBeLessThanOrEqual(32767);
      expect(lb.spec.clusterIP).toMatch(/^10\./);
      expect(lb.spec.clusterIP).not.toBe(svc.spec.clusterIP);
      const en = await getJson(['-n', 'gen', 'service', 'en']);
      expect(en.spec).toMatchObject({ type: 'ExternalName', externalName: 'example.com' });
      expect(en.spec.clusterIP).toBeUndefined();

      const robot = await getJson(['-n', 'gen', 'serviceaccount', 'robot'], 'flotilla-m3');
      expect(robot.metadata.name).toBe('robot');

      const table = await kubectl(['-n', 'gen', 'get', 'deploy,svc']);
      expect(table.stdout).toMatch(/^deployment\.apps\/web\s+0\/2\s+/m);
      expect(table.stdout).toMatch(/^service\/np\s+NodePort\s+\S+\s+<none>\s+80:30080\/TCP\s+/m);
    });

    it('StatefulSets, ControllerRevisions, claims and volumes sent as protobuf read back by kubectl', async () => {
      const send = async (path: string, obj: Json, base = bases[0]) => {
        const r = await raw(
          base,
          'POST',
          path,
          { 'content-type': PB, accept: `${PB},application/json` },
          encodeKubernetesProtobuf(obj),
        );
        expect({ path, status: r.status, body: r.json }).toMatchObject({ path, status: 201 });
      };
      expect((await kubectl(['create', 'namespace', 'pbstore'])).code).toBe(0);
      await send('/api/v1/persistentvolumes', {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: 'pb-local' },
        spec: {
          capacity: { storage: '5Gi' },
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'manual',
          local: { path: '/mnt/disks/ssd1' },
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
      });
      await send(
        '/api/v1/namespaces/pbstore/persistentvolumeclaims',
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: 'pb-claim' },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: 'other',
            resources: { requests: { storage: '1Gi' } },
          },
        },
        bases[1],
      );
      // No replicas: the StatefulSet controller makes no pods or claims of its own here.
      await send(
        '/apis/apps/v1/namespaces/pbstore/statefulsets',
        {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: 'pb-db' },
          spec: {
            replicas: 0,
            serviceName: 'pb-db',
            selector: { matchLabels: { app: 'pb-db' } },
            updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } },
            template: {
              metadata: { labels: { app: 'pb-db' } },
              spec: { containers: [{ name: 'c', image: 'postgres:16' }] },
            },
            volumeClaimTemplates: [
              {
                metadata: { name: 'data' },
                spec: {
                  accessModes: ['ReadWriteOnce'],
                  resources: { requests: { storage: '2Gi' } },
                },
              },
            ],
          },
        },
        bases[2],
      );
      await send('/apis/apps/v1/namespaces/pbstore/controllerrevisions', {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: { name: 'pb-rev' },
        data: { spec: { template: { $patch: 'replace', spec: { containers: [{ name: 'c' }] } } } },
        revision: 7,
      });

      const pv = await getJson(['pv', 'pb-local'], 'flotilla-m2');
      expect(pv.spec).toMatchObject({
        capacity: { storage: '5Gi' },
        local: { path: '/mnt/disks/ssd1' },
        persistentVolumeReclaimPolicy: 'Retain',
        volumeMode: 'Filesystem',
      });
      expect(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values).toEqual(
        ['w1'],
      );
      const pvc = await getJson(['-n', 'pbstore', 'pvc', 'pb-claim']);
      expect(pvc.spec).toMatchObject({
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        volumeMode: 'Filesystem',
      });
      const sts = await getJson(['-n', 'pbstore', 'sts', 'pb-db'], 'flotilla-m3');
      expect(sts.spec).toMatchObject({
        serviceName: 'pb-db',
        updateStrategy: { rollingUpdate: { partition: 1 } },
        volumeClaimTemplates: [
          { metadata: { name: 'data' }, spec: { resources: { requests: { storage: '2Gi' } } } },
        ],
      });
      const rev = await getJson(['-n', 'pbstore', 'controllerrevision', 'pb-rev']);
      expect(rev).toMatchObject({
        revision: 7,
        data: { spec: { template: { $patch: 'replace' } } },
      });
      const yaml = await kubectl([
        '-n',
        'pbstore',
        'get',
        'sts,controllerrevision,pvc',
        '-o',
        'yaml',
      ]);
      expect(yaml.stderr).toBe('');
      expect(yaml.stdout).toContain('serviceName: pb-db');
      expect(yaml.stdout).toContain('revision: 7');

      // A client that accepts only protobuf gets what JSON says (once the StatefulSet
      // controller has written its revision and status: nothing writes these objects after).
      await waitFor('pb-db observed', async () => {
        const cur = await getJson(['-n', 'pbstore', 'sts', 'pb-db']);
        return cur.status?.observedGeneration === 1 ? true : undefined;
      });
      for (const path of [
        '/api/v1/persistentvolumes/pb-local',
        '/api/v1/namespaces/pbstore/persistentvolumeclaims/pb-claim',
        '/apis/apps/v1/namespaces/pbstore/statefulsets/pb-db',
        '/apis/apps/v1/namespaces/pbstore/controllerrevisions/pb-rev',
        '/apis/apps/v1/namespaces/pbstore/controllerrevisions',
      ]) {
        // Read both from one master, after each other: nothing else writes these objects.
        const asJson = await raw(bases[1], 'GET', path, { accept: 'application/json' });
        const asPb = await raw(bases[1], 'GET', path, { accept: PB });
        expect({ path, type: asPb.contentType }).toEqual({ path, type: PB });
        const decoded = decodeKubernetesProtobuf(asPb.bytes) as Json;
        if (decoded.items) {
          expect(decoded.items.map((i: Json) => i.metadata.name)).toEqual(
            asJson.json!.items.map((i: Json) => i.metadata.name),
          );
        } else {
          // What Go would write: zero omitempty fields and empty structs are not on the wire.
          expect(decoded).toEqual(decodeKubernetesProtobuf(encodeKubernetesProtobuf(asJson.json)));
          expect(decoded.metadata.resourceVersion).toBe(asJson.json.metadata.resourceVersion);
          expect(decoded.spec ?? decoded.data).toBeDefined();
        }
      }
    });

    it('reports what the server refuses in a generator body with its message', async () => {
      const bad = await kubectl(['create', 'configmap', 'Bad_Name', '--from-literal=a=b']);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('is invalid');
      expect((await kubectl(['create', 'namespace', 'gen2'])).code).toBe(0);
      const again = await kubectl(['create', 'namespace', 'gen2'], 'flotilla-m2');
      expect(again.stderr).toContain('namespaces "gen2" already exists');
    });
  });

  describe('over HTTP', () => {
    it('answers malformed protobuf with 400, uncovered kinds and unknown fields with 415, and keeps serving', async () => {
      const cms = '/api/v1/namespaces/default/configmaps';
      const headers = { 'content-type': PB, accept: `${PB},application/json` };
      const truncated = await raw(bases[0], 'POST', cms, headers, Buffer.from('k8s\0\x0a\x05ab'));
      expect(truncated.status).toBe(400);
      expect(truncated.json).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
      expect(truncated.json.message).toContain('protobuf body of the request is malformed');
      const notK8s = await raw(bases[1], 'POST', cms, headers, Buffer.from('{"kind":"x"}'));
      expect(notK8s.status).toBe(400);

      const binding = envelope('v1', 'Binding', new Uint8Array(0));
      const bound = await raw(
        bases[1],
        'POST',
        '/api/v1/namespaces/default/pods/p/binding',
        headers,
        binding,
      );
      expect(bound.status).toBe(415);
      expect(bound.json.message).toContain('protobuf is not supported for v1, Kind=Binding');

      const cm = encodeMessage('ConfigMap', { metadata: { name: 'future' }, data: { a: 'b' } });
      const withUnknown = Buffer.concat([
        cm,
        new ProtoWriter().tag(99, WireType.Bytes).string('from the future').finish(),
      ]);
      const future = await raw(
        bases[2],
        'POST',
        cms,
        headers,
        envelope('v1', 'ConfigMap', withUnknown),
      );
      expect(future.status).toBe(415);
      expect(future.json).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType' });
      expect(future.json.message).toContain('protobuf field 99 of k8s.io.api.core.v1.ConfigMap');
      expect(future.json.message).toContain('send the object as JSON');
      const gone = await raw(bases[0], 'GET', `${cms}/future`, { accept: 'application/json' });
      expect(gone.status).toBe(404);

      // A kind that does not match the URL is the same 400 as in JSON.
      const secretToCms = encodeKubernetesProtobuf({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'x' },
      });
      expect((await raw(bases[0], 'POST', cms, headers, secretToCms)).status).toBe(400);

      // And the masters serve on.
      for (const base of bases) {
        expect(
          (await raw(base, 'GET', '/api/v1/namespaces', { accept: 'application/json' })).status,
        ).toBe(200);
      }
    });

    it('validates and defaults protobuf bodies exactly as JSON ones, with dryRun and preconditions', async () => {
      const headers = { 'content-type': PB, accept: 'application/json' };
      const pods = '/api/v1/namespaces/default/pods';
      const pod = (name: string) =>
        encodeKubernetesProtobuf({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        });
      const created = await raw(bases[0], 'POST', pods, headers, pod('pb-pod'));
      expect(created.status).toBe(201);
      expect(created.json.spec).toMatchObject({
        restartPolicy: 'Always',
        dnsPolicy: 'ClusterFirst',
        containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'Always' }],
      });
      const dry = await raw(bases[1], 'POST', `${pods}?dryRun=All`, headers, pod('pb-dry'));
      expect(dry.status).toBe(201);
      expect((await raw(bases[1], 'GET', `${pods}/pb-dry`, {})).status).toBe(404);
      const noContainers = encodeKubernetesProtobuf({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'pb-empty' },
      });
      const invalid = await raw(bases[2], 'POST', pods, headers, noContainers);
      expect(invalid.status).toBe(422);
      expect(invalid.json.message).toContain('spec.containers: Required value');

      // Update (PUT) takes protobuf too, with the resourceVersion precondition.
      const current = created.json;
      const update = encodeKubernetesProtobuf({
        ...current,
        metadata: { ...current.metadata, labels: { via: 'protobuf' } },
      });
      const put = await raw(bases[2], 'PUT', `${pods}/pb-pod`, headers, update);
      expect(put.status).toBe(200);
      expect(put.json.metadata.labels).toEqual({ via: 'protobuf' });
      const stale = await raw(bases[0], 'PUT', `${pods}/pb-pod`, headers, update);
      expect(stale.status).toBe(409);

      // DELETE with a protobuf DeleteOptions body.
      const options = encodeKubernetesProtobuf({
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: 'not-the-uid' },
      });
      const refused = await raw(bases[0], 'DELETE', `${pods}/pb-pod`, headers, options);
      expect(refused.status).toBe(409);
    });

    it('answers in protobuf a client that accepts only protobuf, and JSON to any that accepts JSON', async () => {
      const cms = '/api/v1/namespaces/default/configmaps';
      const body = encodeKubernetesProtobuf({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'pb-answer' },
        data: { k: 'v' },
      });
      const created = await raw(bases[0], 'POST', cms, { 'content-type': PB, accept: PB }, body);
      expect(created.status).toBe(201);
      expect(created.contentType).toBe(PB);
      const decoded = decodeKubernetesProtobuf(created.bytes);
      expect(decoded).toMatchObject({
        kind: 'ConfigMap',
        metadata: { name: 'pb-answer' },
        data: { k: 'v' },
      });

      const asJson = await raw(bases[1], 'GET', `${cms}/pb-answer`, { accept: 'application/json' });
      const asPb = await raw(bases[1], 'GET', `${cms}/pb-answer`, { accept: PB });
      expect(asPb.contentType).toBe(PB);
      expect(decodeKubernetesProtobuf(asPb.bytes)).toEqual(asJson.json);
      const kubectlStyle = await raw(bases[1], 'GET', `${cms}/pb-answer`, {
        accept: `${PB},application/json`,
      });
      expect(kubectlStyle.contentType).toMatch(/^application\/json/);

      const list = decodeKubernetesProtobuf(
        (await raw(bases[2], 'GET', cms, { accept: PB })).bytes,
      );
      expect(list.kind).toBe('ConfigMapList');
      expect((list.items as Json[]).map((i) => i.metadata.name)).toContain('pb-answer');

      const missing = await raw(bases[2], 'GET', `${cms}/nope`, { accept: PB });
      expect(missing.status).toBe(404);
      expect(decodeKubernetesProtobuf(missing.bytes)).toMatchObject({
        kind: 'Status',
        reason: 'NotFound',
        code: 404,
      });

      // Kinds without a schema: 406, decided before anything is done.
      const crds = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
      const crd = await raw(
        bases[0],
        'POST',
        crds,
        { 'content-type': 'application/json', accept: PB },
        Buffer.from(JSON.stringify({ metadata: { name: 'pbs.example.com' } })),
      );
      expect(crd.status).toBe(406);
      expect(decodeKubernetesProtobuf(crd.bytes)).toMatchObject({ reason: 'NotAcceptable' });
      expect(
        (await raw(bases[0], 'GET', `${crds}/pbs.example.com`, { accept: 'application/json' }))
          .status,
      ).toBe(404);
      // A watch streams length-delimited WatchEvent frames.
      const watch = await raw(bases[0], 'GET', `${cms}?watch=true&timeoutSeconds=1`, {
        accept: PB,
      });
      expect(watch.status).toBe(200);
      expect(watch.contentType).toBe(`${PB};stream=watch`);
      const { events, used } = decodeWatchEventFrames(watch.bytes);
      expect(used).toBe(watch.bytes.length);
      expect(events).toContainEqual({
        type: 'ADDED',
        object: expect.objectContaining({
          kind: 'ConfigMap',
          metadata: expect.objectContaining({ name: 'pb-answer' }),
        }),
      });
    });

    it('serves nodes, endpoints, endpointslices and both groups of events in protobuf: GET, LIST and WATCH', async () => {
      const kinds = [
        {
          path: '/api/v1/nodes',
          obj: {
            apiVersion: 'v1',
            kind: 'Node',
            metadata: { name: 'pb-node' },
            spec: { podCIDR: '10.244.7.0/24' },
          },
        },
        {
          path: '/api/v1/namespaces/default/endpoints',
          obj: {
            apiVersion: 'v1',
            kind: 'Endpoints',
            metadata: { name: 'pb-ep' },
            subsets: [{ addresses: [{ ip: '10.0.0.7' }], ports: [{ port: 80 }] }],
          },
        },
        {
          path: '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
          obj: {
            apiVersion: 'discovery.k8s.io/v1',
            kind: 'EndpointSlice',
            metadata: { name: 'pb-slice' },
            addressType: 'IPv4',
            endpoints: [{ addresses: ['10.0.0.7'], conditions: { ready: true } }],
            ports: [{ port: 80 }],
          },
        },
        {
          path: '/api/v1/namespaces/default/events',
          obj: {
            apiVersion: 'v1',
            kind: 'Event',
            metadata: { name: 'pb-core-event' },
            involvedObject: { kind: 'Pod', namespace: 'default', name: 'p' },
            reason: 'Started',
            type: 'Normal',
          },
        },
        {
          path: '/apis/events.k8s.io/v1/namespaces/default/events',
          obj: {
            apiVersion: 'events.k8s.io/v1',
            kind: 'Event',
            metadata: { name: 'pb-events-event' },
            eventTime: '2025-01-01T00:00:00.000000Z',
            reportingController: 'test',
            reportingInstance: 'test',
            action: 'Testing',
            reason: 'Started',
            regarding: { kind: 'Pod', namespace: 'default', name: 'p' },
            type: 'Normal',
          },
        },
      ];
      for (const { path, obj } of kinds) {
        const name = obj.metadata.name;
        const created = await raw(
          bases[0],
          'POST',
          path,
          { 'content-type': PB, accept: PB },
          encodeKubernetesProtobuf(obj),
        );
        expect(created.status).toBe(201);
        expect(decodeKubernetesProtobuf(created.bytes)).toMatchObject({
          kind: obj.kind,
          metadata: { name },
        });
        // Another master answers the same object in protobuf and in JSON.
        const asJson = await waitFor(`${name} on m2`, async () => {
          const r = await raw(bases[1], 'GET', `${path}/${name}`, { accept: 'application/json' });
          return r.status === 200 ? r.json : undefined;
        });
        const asPb = await raw(bases[1], 'GET', `${path}/${name}`, { accept: PB });
        expect(asPb.contentType).toBe(PB);
        expect(decodeKubernetesProtobuf(asPb.bytes)).toEqual(asJson);
        const list = decodeKubernetesProtobuf(
          (await raw(bases[2], 'GET', path, { accept: PB })).bytes,
        );
        expect(list.kind).toBe(`${obj.kind}List`);
        expect((list.items as Json[]).map((i) => i.metadata.name)).toContain(name);
        const watch = await raw(bases[2], 'GET', `${path}?watch=true&timeoutSeconds=1`, {
          accept: PB,
        });
        expect(watch.contentType).toBe(`${PB};stream=watch`);
        const { events } = decodeWatchEventFrames(watch.bytes);
        expect(events).toContainEqual({
          type: 'ADDED',
          object: expect.objectContaining({
            apiVersion: obj.apiVersion,
            kind: obj.kind,
            metadata: expect.objectContaining({ name }),
          }),
        });
      }
    });
  });
});
