// What the API handler accepts in query parameters, Content-Type and Accept, compared with what
// the Kubernetes API server accepts (k8s.io/apiserver handlers, k8s.io/apimachinery conversions).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ApiServer } from '../api-server';
import { LocalBackend } from '../storage/local-backend';
import type { ApiResponse } from './api-handler';

// Response bodies are JSON the handler produced; tests read them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const CMS = '/api/v1/namespaces/default/configmaps';
const PODS = '/api/v1/namespaces/default/pods';
const MERGE = 'application/merge-patch+json';

describe('query parameters, content types and Accept, as Kubernetes reads them', () => {
  let dir: string;
  let kv: LocalBackend;
  let server: ApiServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-query-'));
    kv = await LocalBackend.open(dir);
    server = new ApiServer(kv, { watchWindow: 100 });
    await server.bootstrap();
    for (let i = 0; i < 3; i++) {
      await call('POST', CMS, { metadata: { name: `cm${i}`, labels: { i: String(i) } } });
    }
  });
  afterAll(async () => {
    server.stop();
    await kv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function raw(
    method: string,
    pathAndQuery: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse> {
    const [path, query = ''] = pathAndQuery.split('?');
    const text =
      body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return server.handler.handle({
      method,
      path,
      query: new URLSearchParams(query),
      headers: {
        'user-agent': 'query-test',
        ...(text !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: text === undefined ? undefined : Buffer.from(text),
    });
  }

  async function call(
    method: string,
    pathAndQuery: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Json; text?: string; type?: string }> {
    const out = await raw(method, pathAndQuery, body, headers);
    if (out.kind === 'watch') {
      out.watch.stop();
      return { status: -1, body: { watch: true, bookmarks: out.bookmarks } };
    }
    if (out.kind === 'kubelet') throw new Error('unexpected kubelet answer');
    if (out.kind === 'bytes') {
      const text = Buffer.from(out.body).toString('utf8');
      return { status: out.status, body: undefined, text, type: out.contentType };
    }
    return { status: out.status, body: out.body as Json };
  }

  describe('booleans (runtime.Convert_Slice_string_To_bool: false is "0" or "false" in any case)', () => {
    it.each(['true', 'True', 'TRUE', '1', 't', 'yes', ''])('watch=%j watches', async (v) => {
      expect((await call('GET', `${CMS}?watch=${v}`)).body).toEqual({
        watch: true,
        bookmarks: false,
      });
    });

    it.each(['false', 'False', 'FALSE', 'fAlSe', '0'])('watch=%j lists', async (v) => {
      const r = await call('GET', `${CMS}?watch=${v}`);
      expect(r.status).toBe(200);
      expect(r.body.kind).toBe('ConfigMapList');
    });

    it('allowWatchBookmarks=True asks for bookmarks (the Python client sends True)', async () => {
      expect((await call('GET', `${CMS}?watch=True&allowWatchBookmarks=True`)).body).toEqual({
        watch: true,
        bookmarks: true,
      });
    });

    it('force and orphanDependents read the same way', async () => {
      const applied = await call(
        'PATCH',
        `${CMS}/applied?fieldManager=a&force=True`,
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied}\n',
        { 'content-type': 'application/apply-patch+yaml' },
      );
      expect(applied.status).toBe(201);
      const del = await call('DELETE', `${CMS}/applied?orphanDependents=True`);
      expect(del.status).toBe(200);
      // True is true: the object waits for the garbage collector to orphan its dependents.
      expect(del.body.metadata.finalizers).toEqual(['orphan']);
      const done = await call('PATCH', `${CMS}/applied`, '{"metadata":{"finalizers":null}}', {
        'content-type': 'application/merge-patch+json',
      });
      expect(done.status).toBe(200);
      expect((await call('GET', `${CMS}/applied`)).status).toBe(404);
    });
  });

  describe('integers (strconv.ParseInt)', () => {
    it.each([
      ['limit=ten', 'strconv.ParseInt: parsing "ten": invalid syntax'],
      ['limit=', 'strconv.ParseInt: parsing "": invalid syntax'],
      ['limit=1.5', 'strconv.ParseInt: parsing "1.5": invalid syntax'],
      [
        'limit=99999999999999999999',
        'strconv.ParseInt: parsing "99999999999999999999": value out of range',
      ],
      ['timeoutSeconds=soon', 'strconv.ParseInt: parsing "soon": invalid syntax'],
    ])('%s is a 400: %s', async (query, message) => {
      const r = await call('GET', `${CMS}?${query}`);
      expect(r.status).toBe(400);
      expect(r.body.message).toBe(message);
    });

    it('a negative limit lists everything; "+2" is 2', async () => {
      expect((await call('GET', `${CMS}?limit=-1`)).body.items).toHaveLength(3);
      const page = await call('GET', `${CMS}?limit=%2B2`);
      expect(page.body.items).toHaveLength(2);
      expect(page.body.metadata.continue).toBeDefined();
    });

    it('gracePeriodSeconds must be an integer', async () => {
      const r = await call('DELETE', `${CMS}/cm0?gracePeriodSeconds=soon`);
      expect(r.status).toBe(400);
      expect(r.body.message).toBe('strconv.ParseInt: parsing "soon": invalid syntax');
    });
  });

  describe('resourceVersion and list options', () => {
    it('a resourceVersion that is not a number is a 400 on list and on get', async () => {
      for (const path of [`${CMS}?resourceVersion=abc`, `${CMS}/cm1?resourceVersion=abc`]) {
        const r = await call('GET', path);
        expect(r.status).toBe(400);
        expect(r.body.message).toContain('invalid resource version');
      }
    });

    it.each([
      [
        'resourceVersionMatch=Exact',
        'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
      ],
      [
        'resourceVersionMatch=Newest&resourceVersion=1',
        'resourceVersionMatch: Unsupported value: "Newest"',
      ],
      [
        'resourceVersionMatch=Exact&resourceVersion=0',
        'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
      ],
      [
        'sendInitialEvents=true',
        'sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list',
      ],
      [
        'watch=1&resourceVersionMatch=NotOlderThan',
        'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
      ],
      [
        'watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan',
        'sendInitialEvents: Forbidden',
      ],
    ])('%s is a 422 ListOptions: %s', async (query, message) => {
      const r = await call('GET', `${CMS}?${query}`);
      expect(r.status).toBe(422);
      expect(r.body.reason).toBe('Invalid');
      expect(r.body.details.kind).toBe('ListOptions');
      expect(r.body.message).toContain(message);
    });

    it('unknown query parameters are ignored', async () => {
      expect((await call('GET', `${CMS}?color=blue&limit=1`)).body.items).toHaveLength(1);
    });
  });

  describe('write options', () => {
    it.each([
      [
        'POST',
        CMS,
        'dryRun=Some',
        'CreateOptions',
        'dryRun: Unsupported value: []string{"Some"}: supported values: "All"',
      ],
      [
        'POST',
        CMS,
        'dryRun=All&dryRun=',
        'CreateOptions',
        'dryRun: Unsupported value: []string{"All", ""}',
      ],
      [
        'POST',
        CMS,
        'fieldValidation=Loose',
        'CreateOptions',
        'fieldValidation: Unsupported value: "Loose"',
      ],
      [
        'PUT',
        `${CMS}/cm1`,
        'fieldValidation=strict',
        'UpdateOptions',
        'fieldValidation: Unsupported value: "strict"',
      ],
      ['PATCH', `${CMS}/cm1`, 'dryRun=1', 'PatchOptions', 'dryRun: Unsupported value'],
    ])('%s %s?%s is a 422 %s', async (method, path, query, kind, message) => {
      const body =
        method === 'PATCH' ? { data: { a: 'b' } } : { metadata: { name: 'cm1' }, data: {} };
      const headers: Record<string, string> = method === 'PATCH' ? { 'content-type': MERGE } : {};
      const r = await call(method, `${path}?${query}`, body, headers);
      expect(r.status).toBe(422);
      expect(r.body.details.kind).toBe(kind);
      expect(r.body.message).toContain(message);
    });

    it('an empty fieldValidation is the default (Warn); dryRun=All writes nothing', async () => {
      const warn = await call('POST', `${CMS}?fieldValidation=`, {
        metadata: { name: 'fv' },
        extra: 1,
      });
      expect(warn.status).toBe(201);
      const dry = await call('POST', `${CMS}?dryRun=All`, { metadata: { name: 'dry' } });
      expect(dry.status).toBe(201);
      expect((await call('GET', `${CMS}/dry`)).status).toBe(404);
    });
  });

  describe('delete options', () => {
    it.each([
      [
        'propagationPolicy=Sideways',
        'propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"',
      ],
      [
        'propagationPolicy=Orphan&orphanDependents=false',
        'orphanDependents and deletionPropagation cannot be both set',
      ],
      ['dryRun=Yes', 'dryRun: Unsupported value'],
    ])('%s is a 422 DeleteOptions', async (query, message) => {
      const r = await call('DELETE', `${CMS}/cm2?${query}`);
      expect(r.status).toBe(422);
      expect(r.body.details.kind).toBe('DeleteOptions');
      expect(r.body.message).toContain(message);
    });

    it('with a body, the options come from the body alone, not the query', async () => {
      await call('POST', CMS, { metadata: { name: 'gone' } });
      const r = await call('DELETE', `${CMS}/gone?propagationPolicy=Sideways`, {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        propagationPolicy: 'Background',
      });
      expect(r.status).toBe(200);
    });

    it('a dryRun in the body is checked as in the query', async () => {
      const r = await call('DELETE', `${CMS}/cm2`, { dryRun: ['Maybe'] });
      expect(r.status).toBe(422);
    });
  });

  describe('request Content-Type (mime.ParseMediaType, then json, yaml or protobuf)', () => {
    it('creates from YAML, as Kubernetes does', async () => {
      const r = await call(
        'POST',
        CMS,
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n',
        {
          'content-type': 'application/yaml',
        },
      );
      expect(r.status).toBe(201);
      expect(r.body.data).toEqual({ k: 'v' });
    });

    it.each(['application/json; charset=utf-8', 'Application/JSON', 'application/json;'])(
      'accepts %j',
      async (type) => {
        const name = `ct-${Buffer.from(type).toString('hex')}`;
        expect(
          (await call('POST', CMS, { metadata: { name } }, { 'content-type': type })).status,
        ).toBe(201);
      },
    );

    it.each([
      'text/plain',
      '*/*',
      'application/json; charset',
      'application',
      'application/x-www-form-urlencoded',
    ])('refuses %j with 415', async (type) => {
      const r = await call('POST', CMS, { metadata: { name: 'x' } }, { 'content-type': type });
      expect(r.status).toBe(415);
      expect(r.body.reason).toBe('UnsupportedMediaType');
      expect(r.body.message).toContain(
        'application/json, application/yaml, application/vnd.kubernetes.protobuf',
      );
    });

    it('a patch type is read exactly as written up to ";" (case and all)', async () => {
      const ok = await call(
        'PATCH',
        `${CMS}/cm1`,
        { data: { p: '1' } },
        { 'content-type': `${MERGE}; charset=utf-8` },
      );
      expect(ok.status).toBe(200);
      for (const type of ['Application/Merge-Patch+JSON', 'application/json', '']) {
        const r = await call('PATCH', `${CMS}/cm1`, { data: { p: '2' } }, { 'content-type': type });
        expect(r.status).toBe(415);
      }
    });
  });

  describe('Accept', () => {
    it('answers 406 to a client that accepts nothing the server writes', async () => {
      const r = await call('GET', `${CMS}/cm1`, undefined, { accept: 'text/html' });
      expect(r.status).toBe(406);
      expect(r.body.reason).toBe('NotAcceptable');
      expect(r.body.message).toBe(
        'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf',
      );
    });

    it('answers YAML to a client that asks for it, and JSON to a browser', async () => {
      const yaml = await call('GET', `${CMS}/cm1`, undefined, { accept: 'application/yaml' });
      expect(yaml.type).toBe('application/yaml');
      expect(parseYaml(yaml.text!).metadata.name).toBe('cm1');
      const browser = await call('GET', `${CMS}/cm1`, undefined, {
        accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
      });
      expect(browser.text ?? JSON.stringify(browser.body)).toContain('"cm1"');
    });

    it('a watch in YAML is a 406 (YAML has no stream form)', async () => {
      expect(
        (await call('GET', `${CMS}?watch=1`, undefined, { accept: 'application/yaml' })).status,
      ).toBe(406);
    });

    it('indents JSON for pretty=true, pretty=1 in Accept, and curl; not for pretty=0', async () => {
      const indented = (r: { text?: string }) => r.text?.includes('\n  "') ?? false;
      expect(indented(await call('GET', `${CMS}/cm1?pretty=true`))).toBe(true);
      expect(
        indented(
          await call('GET', `${CMS}/cm1`, undefined, { accept: 'application/json;pretty=1' }),
        ),
      ).toBe(true);
      expect(
        indented(await call('GET', `${CMS}/cm1`, undefined, { 'user-agent': 'curl/8.5.0' })),
      ).toBe(true);
      expect(
        indented(
          await call('GET', `${CMS}/cm1?pretty=0`, undefined, { 'user-agent': 'curl/8.5.0' }),
        ),
      ).toBe(false);
      expect(indented(await call('GET', `${CMS}/cm1?pretty=yes`))).toBe(false);
      expect((await call('GET', `${CMS}/cm1`)).body.metadata.name).toBe('cm1');
    });

    it('a table with an unknown includeObject is a 422 TableOptions', async () => {
      const r = await call('GET', `${CMS}?includeObject=Everything`, undefined, {
        accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
      });
      expect(r.status).toBe(422);
      expect(r.body.details.kind).toBe('TableOptions');
    });
  });

  describe('selectors through the handler', () => {
    it('fieldSelector=spec.nodeName=== is a 400', async () => {
      const r = await call(
        'GET',
        `${PODS}?fieldSelector=${encodeURIComponent('spec.nodeName===')}`,
      );
      expect(r.status).toBe(400);
      expect(r.body.message).toBe('invalid field selector: unescaped character in value: 61');
    });

    it('a label selector with 50 000 values over 2 000 objects answers', async () => {
      for (let i = 0; i < 2000; i += 100) {
        await Promise.all(
          Array.from({ length: 100 }, (_, j) =>
            call('POST', CMS, { metadata: { name: `many-${i + j}`, labels: { n: `v${i + j}` } } }),
          ),
        );
      }
      const values = Array.from({ length: 50_000 }, (_, i) => `v${i * 2}`).join(',');
      const r = await call('GET', `${CMS}?labelSelector=${encodeURIComponent(`n in (${values})`)}`);
      expect(r.status).toBe(200);
      expect(r.body.items).toHaveLength(1000);
    });
  });
});
