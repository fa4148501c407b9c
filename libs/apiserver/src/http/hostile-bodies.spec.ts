// Bodies built to reach prototypes or exhaust the stack, sent to every verb of the REST handler
// over one local store: each gets the answer Kubernetes gives (or success with the member kept
// as data), nothing in the process is polluted, and the server goes on answering.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeKubernetesProtobuf, MAX_NESTING_DEPTH, PROTOBUF_MEDIA_TYPE } from '@flotilla/api';
import { ApiServer } from '../api-server';
import { LocalBackend } from '../storage/local-backend';

// Response bodies are JSON the handler produced; tests read them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const CMS = '/api/v1/namespaces/default/configmaps';
const PODS = '/api/v1/namespaces/default/pods';
const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';
const JSON_PATCH = 'application/json-patch+json';
const MERGE = 'application/merge-patch+json';
const SMP = 'application/strategic-merge-patch+json';
const APPLY = 'application/apply-patch+yaml';

function prototypesClean(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
  expect(typeof Object.prototype.toString).toBe('function');
}

describe('hostile request bodies through the API handler', () => {
  let dir: string;
  let kv: LocalBackend;
  let server: ApiServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-hostile-'));
    kv = await LocalBackend.open(dir);
    server = new ApiServer(kv, { watchWindow: 100 });
    await server.bootstrap();
  });
  afterAll(async () => {
    server.stop();
    await kv.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(prototypesClean);

  const call = async (
    method: string,
    pathAndQuery: string,
    body?: string | Uint8Array,
    contentType = 'application/json',
  ): Promise<{ status: number; body: Json; headers: Record<string, string> }> => {
    const [path, query = ''] = pathAndQuery.split('?');
    const out = await server.handler.handle({
      method,
      path,
      query: new URLSearchParams(query),
      headers: { 'content-type': contentType, 'user-agent': 'hostile-test' },
      body: body === undefined ? undefined : Buffer.from(body),
    });
    if (out.kind !== 'json') throw new Error(`unexpected ${out.kind} answer`);
    return { status: out.status, body: out.body as Json, headers: out.headers ?? {} };
  };
  const cm = (name: string, extra = '') =>
    `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}"},"data":{"k":"v"}${extra}}`;

  let served = 0;
  /** The server still does ordinary work: create, read back, list. */
  async function stillServes(): Promise<void> {
    const name = `after-${++served}`;
    expect((await call('POST', CMS, cm(name))).status).toBe(201);
    const got = await call('GET', `${CMS}/${name}`);
    expect(got.status).toBe(200);
    expect(got.body.data).toEqual({ k: 'v' });
    expect((await call('GET', CMS)).status).toBe(200);
  }

  describe('prototype pollution', () => {
    beforeAll(async () => {
      expect((await call('POST', CMS, cm('target'))).status).toBe(201);
    });

    it('JSON patch through "__proto__": 422 as Kubernetes answers a missing path, nothing polluted', async () => {
      for (const path of [
        '/__proto__/polluted',
        '/data/__proto__/polluted',
        '/metadata/constructor/prototype/polluted',
      ]) {
        const r = await call(
          'PATCH',
          `${CMS}/target`,
          JSON.stringify([{ op: 'add', path, value: 'yes' }]),
          JSON_PATCH,
        );
        expect(r.status).toBe(422);
        expect(r.body.details.causes[0].message).toContain('missing');
      }
      await stillServes();
    });

    it('JSON patch adding "__proto__" as a data key: stored and read back as data', async () => {
      const r = await call(
        'PATCH',
        `${CMS}/target`,
        JSON.stringify([{ op: 'add', path: '/data/__proto__', value: 'kept' }]),
        JSON_PATCH,
      );
      expect(r.status).toBe(200);
      const got = await call('GET', `${CMS}/target`);
      expect(Object.keys(got.body.data)).toContain('__proto__');
      expect(Object.getOwnPropertyDescriptor(got.body.data, '__proto__')?.value).toBe('kept');
    });

    it.each([
      [MERGE, '{"__proto__":{"polluted":"yes"},"data":{"constructor":"c","__proto__":"p"}}'],
      [SMP, '{"__proto__":{"polluted":"yes"},"data":{"constructor":"c","__proto__":"p"}}'],
    ])(
      '%s with "__proto__": success, members kept as data, warned as unknown',
      async (type, body) => {
        const r = await call('PATCH', `${CMS}/target`, body, type);
        expect(r.status).toBe(200);
        expect(Object.getPrototypeOf(r.body)).toBe(Object.prototype);
        expect(r.body.data.constructor).toBe('c');
        expect(Object.getOwnPropertyDescriptor(r.body.data, '__proto__')?.value).toBe('p');
        expect(r.headers.warning).toContain('unknown field \\"__proto__\\"');
        await stillServes();
      },
    );

    it('create and update with "__proto__" at the top, in data, in labels', async () => {
      const created = await call(
        'POST',
        CMS,
        '{"metadata":{"name":"p1","labels":{"constructor":"a","prototype":"b"}},' +
          '"data":{"__proto__":"x","constructor":"y","prototype":"z"},"__proto__":{"polluted":"yes"}}',
      );
      expect(created.status).toBe(201);
      expect(created.body.metadata.labels).toEqual({ constructor: 'a', prototype: 'b' });
      expect(Object.keys(created.body.data).sort()).toEqual([
        '__proto__',
        'constructor',
        'prototype',
      ]);
      const badLabel = await call(
        'POST',
        CMS,
        '{"metadata":{"name":"p2","labels":{"__proto__":"a"}}}',
      );
      expect(badLabel.status).toBe(422);
      expect(badLabel.body.reason).toBe('Invalid');
      const badAnnotation = await call(
        'POST',
        CMS,
        '{"metadata":{"name":"p3","annotations":{"__proto__":"a"}}}',
      );
      expect(badAnnotation.status).toBe(422);
      const current = await call('GET', `${CMS}/p1`);
      const updated = await call(
        'PUT',
        `${CMS}/p1`,
        `{"metadata":{"name":"p1","resourceVersion":"${current.body.metadata.resourceVersion}"},` +
          '"data":{"__proto__":"x2"},"__proto__":{"polluted":"yes"}}',
      );
      expect(updated.status).toBe(200);
      expect(Object.getOwnPropertyDescriptor(updated.body.data, '__proto__')?.value).toBe('x2');
      await stillServes();
    });

    it('pods and deployments with "constructor" and "__proto__" in their specs: no 500', async () => {
      const pod = await call(
        'POST',
        PODS,
        '{"metadata":{"name":"pp"},"spec":{"constructor":1,"toString":2,"__proto__":{"polluted":"yes"},' +
          '"containers":[{"name":"c","image":"i","valueOf":3,"resources":{"limits":{"__proto__":"1"}}}]}}',
      );
      expect(pod.status).toBeLessThan(500);
      const deploy = await call(
        'POST',
        DEPLOYS,
        '{"metadata":{"name":"dd"},"spec":{"selector":{"matchLabels":{"constructor":"a"}},' +
          '"template":{"metadata":{"labels":{"constructor":"a"}},"spec":{"__proto__":{"polluted":"yes"},' +
          '"containers":[{"name":"c","image":"i"}]}}}}',
      );
      expect(deploy.status).toBe(201);
      await stillServes();
    });

    it('server-side apply (YAML and JSON) with "__proto__", "constructor" and "prototype"', async () => {
      const yaml = await call(
        'PATCH',
        `${CMS}/applied?fieldManager=hostile`,
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n' +
          'data:\n  __proto__: a\n  constructor: b\n  prototype: c\n__proto__:\n  polluted: "yes"\n',
        APPLY,
      );
      expect(yaml.status).toBe(201);
      expect(Object.keys(yaml.body.data).sort()).toEqual(['__proto__', 'constructor', 'prototype']);
      const json = await call(
        'PATCH',
        `${CMS}/applied?fieldManager=hostile`,
        '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"applied"},' +
          '"data":{"__proto__":"a2"},"constructor":{"prototype":{"polluted":"yes"}}}',
        APPLY,
      );
      expect(json.status).toBe(200);
      // The manager stopped applying constructor and prototype: they go, "__proto__" stays.
      expect(Object.keys(json.body.data)).toEqual(['__proto__']);
      await stillServes();
    });

    it('managedFields in a request with "__proto__" entries do not reach a prototype', async () => {
      const r = await call(
        'POST',
        CMS,
        '{"metadata":{"name":"mf","managedFields":[{"manager":"m","operation":"Update","apiVersion":"v1",' +
          '"fieldsType":"FieldsV1","fieldsV1":{"__proto__":{"polluted":{}},"f:data":{"f:__proto__":{}}}}]}}',
      );
      expect(r.status).toBeLessThan(500);
      await stillServes();
    });

    it('protobuf bodies with map keys "__proto__" and "constructor"', async () => {
      const body = encodeKubernetesProtobuf({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: JSON.parse('{"name":"pb","labels":{"constructor":"a"}}'),
        data: JSON.parse('{"__proto__":"x","constructor":"y"}'),
      });
      const r = await call('POST', CMS, body, PROTOBUF_MEDIA_TYPE);
      expect(r.status).toBe(201);
      expect(Object.keys(r.body.data).sort()).toEqual(['__proto__', 'constructor']);
      await stillServes();
    });

    it('status and scale subresources', async () => {
      const status = await call(
        'PATCH',
        `${DEPLOYS}/dd/status`,
        '{"status":{"__proto__":{"polluted":"yes"}}}',
        MERGE,
      );
      expect(status.status).toBe(200);
      const scale = await call(
        'PATCH',
        `${DEPLOYS}/dd/scale`,
        '{"spec":{"replicas":2},"__proto__":{"polluted":"yes"}}',
        MERGE,
      );
      expect(scale.status).toBe(200);
      await stillServes();
    });
  });

  describe('nesting deeper than the limit', () => {
    const arrays = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const objects = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

    beforeAll(async () => {
      expect((await call('POST', CMS, cm('deep-target'))).status).toBe(201);
    });

    it.each([
      [
        'a ConfigMap data value of 200 000 nested arrays',
        'POST',
        CMS,
        cm('d1', `,"x":${arrays(200_000)}`),
        undefined,
      ],
      [
        '100 000 nested objects under labels',
        'POST',
        CMS,
        `{"metadata":{"name":"d2","labels":${objects(100_000)}}}`,
        undefined,
      ],
      [
        '100 000 nested objects in an unknown pod field',
        'POST',
        PODS,
        `{"metadata":{"name":"d3"},"spec":{"containers":[],"x":${objects(100_000)}}}`,
        undefined,
      ],
      [
        'an update',
        'PUT',
        `${CMS}/deep-target`,
        cm('deep-target', `,"x":${arrays(100_000)}`),
        undefined,
      ],
      ['a merge patch', 'PATCH', `${CMS}/deep-target`, `{"x":${objects(100_000)}}`, MERGE],
      ['a strategic merge patch', 'PATCH', `${CMS}/deep-target`, `{"x":${objects(100_000)}}`, SMP],
      [
        'a JSON patch value',
        'PATCH',
        `${CMS}/deep-target`,
        `[{"op":"add","path":"/x","value":${arrays(100_000)}}]`,
        JSON_PATCH,
      ],
      [
        'a JSON apply body',
        'PATCH',
        `${CMS}/deep-target?fieldManager=m`,
        cm('deep-target', `,"x":${arrays(100_000)}`),
        APPLY,
      ],
      [
        'a YAML flow apply body',
        'PATCH',
        `${CMS}/deep-target?fieldManager=m`,
        `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep-target}\nx: ${arrays(5000)}\n`,
        APPLY,
      ],
    ])('%s: 400 naming the limit', async (_what, method, path, body, type) => {
      const r = await call(method, path, body, type);
      expect(r.status).toBe(400);
      expect(r.body.reason).toBe('BadRequest');
      expect(r.body.message).toMatch(new RegExp(`exceeded max depth.*${MAX_NESTING_DEPTH}`));
      await stillServes();
    });

    it('a protobuf body whose managedFields hold FieldsV1 nested past the limit: 400', async () => {
      let fields: Record<string, unknown> = {};
      for (let i = 0; i < MAX_NESTING_DEPTH + 10; i++) fields = { 'f:a': fields };
      const body = encodeKubernetesProtobuf({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'pb-deep',
          managedFields: [
            {
              manager: 'm',
              operation: 'Update',
              apiVersion: 'v1',
              fieldsType: 'FieldsV1',
              fieldsV1: fields,
            },
          ],
        },
      });
      const r = await call('POST', CMS, body, PROTOBUF_MEDIA_TYPE);
      expect(r.status).toBe(400);
      expect(r.body.message).toContain('exceeded max depth');
      await stillServes();
    });

    it('a YAML document whose anchor holds itself: 400, not a stack overflow', async () => {
      const r = await call(
        'PATCH',
        `${CMS}/deep-target?fieldManager=m`,
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep-target}\nx: &loop [1, *loop]\n',
        APPLY,
      );
      expect(r.status).toBe(400);
      expect(r.body.message).toContain('exceeded max depth');
    });

    it('bodies just inside the limit are never a 500', async () => {
      const depth = MAX_NESTING_DEPTH - 3;
      const answers = [
        await call('POST', CMS, cm('inside', `,"x":${arrays(depth)}`)),
        await call('PATCH', `${CMS}/inside`, `{"y":${objects(depth - 1)}}`, MERGE),
        await call('PATCH', `${CMS}/inside`, `{"z":${objects(depth - 1)}}`, SMP),
        await call(
          'PATCH',
          `${CMS}/inside`,
          `[{"op":"add","path":"/w","value":${arrays(depth - 2)}}]`,
          JSON_PATCH,
        ),
        await call(
          'PATCH',
          `${CMS}/inside?fieldManager=m`,
          cm('inside', `,"v":${arrays(depth)}`),
          APPLY,
        ),
        await call('GET', `${CMS}/inside`),
      ];
      for (const a of answers) expect(a.status).toBeLessThan(500);
      expect(answers[0].status).toBe(201);
    });
  });
});
