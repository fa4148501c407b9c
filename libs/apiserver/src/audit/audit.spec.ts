import * as fs from 'node:fs';
import { mkdtempSync, promises as fsp, readdirSync, readFileSync, rmSync } from 'node:fs';

// The log's opens and writes, counted (they still reach the disk).
jest.mock('node:fs', () => {
  const real = jest.requireActual<typeof import('node:fs')>('node:fs');
  return { ...real, openSync: jest.fn(real.openSync), writeSync: jest.fn(real.writeSync) };
});
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApi, TestApi } from '@flotilla/testing';
import type { Attributes } from '../auth/authorizer';
import type { ApiRequest } from '../http/api-handler';
import type { UserInfo } from '../auth/user-info';
import { AuditLogFile } from './audit-log';
import { Auditor } from './auditor';
import { auditEdgeRequest } from './edge-audit';
import { auditLevelOf, AuditPolicyError, parseAuditPolicy } from './audit-policy';

const POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    users: [system:kube-proxy]
  - level: None
    nonResourceURLs: [/healthz*]
  - level: Metadata
    resources:
      - group: ""
        resources: [secrets]
  - level: RequestResponse
    verbs: [get]
    resources:
      - group: ""
        resources: [configmaps]
  - level: Request
    namespaces: [default]
  - level: Metadata
`;

const root: UserInfo = { name: 'root', groups: ['system:masters', 'system:authenticated'] };
const jane: UserInfo = { name: 'jane', groups: ['system:authenticated'] };

function resource(over: Partial<Attributes & { kind: 'resource' }>): Attributes {
  return {
    kind: 'resource',
    user: jane,
    verb: 'get',
    apiGroup: '',
    apiVersion: 'v1',
    resource: 'pods',
    subresource: '',
    namespace: 'default',
    name: 'p',
    ...over,
  } as Attributes;
}

describe('audit policy', () => {
  const policy = parseAuditPolicy(POLICY);
  const level = (a: Attributes) => auditLevelOf(policy, a).level;

  it('gives each request the level of the first rule that matches', () => {
    expect(level(resource({ resource: 'secrets' }))).toBe('Metadata');
    expect(level(resource({ resource: 'configmaps' }))).toBe('RequestResponse');
    expect(level(resource({ resource: 'configmaps', verb: 'update' }))).toBe('Request');
    expect(level(resource({ namespace: 'kube-system' }))).toBe('Metadata');
    expect(level(resource({ user: { name: 'system:kube-proxy', groups: [] } }))).toBe('None');
    expect(level({ kind: 'nonResource', user: jane, verb: 'get', path: '/healthz/etcd' })).toBe(
      'None',
    );
    expect(level({ kind: 'nonResource', user: jane, verb: 'get', path: '/metrics' })).toBe(
      'Metadata',
    );
    expect(auditLevelOf(policy, resource({})).omitStages).toEqual(['RequestReceived']);
  });

  it('matches subresources as "pods/*" and "*/status", names, and groups', () => {
    const p = parseAuditPolicy(`apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: Request
    userGroups: [system:nodes]
    resources:
      - group: ""
        resources: ["*/status"]
  - level: RequestResponse
    resources:
      - group: apps
        resources: ["deployments/*"]
        resourceNames: [web]
`);
    const node = { name: 'system:node:n1', groups: ['system:nodes'] };
    expect(auditLevelOf(p, resource({ user: node, subresource: 'status' })).level).toBe('Request');
    expect(auditLevelOf(p, resource({ user: node })).level).toBe('None');
    const deploy = { apiGroup: 'apps', resource: 'deployments', name: 'web' };
    expect(auditLevelOf(p, resource({ ...deploy, subresource: 'scale' })).level).toBe(
      'RequestResponse',
    );
    expect(auditLevelOf(p, resource({ ...deploy, name: 'db', subresource: 'scale' })).level).toBe(
      'None',
    );
  });

  it('explains what is wrong with a policy', () => {
    const error = (text: string) => {
      try {
        parseAuditPolicy(text);
      } catch (e) {
        expect(e).toBeInstanceOf(AuditPolicyError);
        return (e as Error).message;
      }
      throw new Error('expected an error');
    };
    const head = 'apiVersion: audit.k8s.io/v1\nkind: Policy\n';
    expect(error(`${head}rules:\n  - level: Everything\n`)).toBe(
      'rules[0].level: must be one of None, Metadata, Request, RequestResponse',
    );
    expect(error(`${head}rules: []\n`)).toBe('rules: must list at least one rule');
    expect(error(`${head}omitStages: [Later]\nrules:\n  - level: None\n`)).toBe(
      'omitStages: unknown stage "Later" (RequestReceived, ResponseStarted, ResponseComplete, Panic)',
    );
    expect(error('apiVersion: audit.k8s.io/v1beta1\nkind: Policy\n')).toBe(
      'apiVersion: must be audit.k8s.io/v1, not "audit.k8s.io/v1beta1"',
    );
  });
});

describe('audit events from the API', () => {
  let api: TestApi;
  const events: Record<string, unknown>[] = [];
  beforeAll(async () => {
    api = await startTestApi({
      authorization: 'RBAC',
      audit: { policy: parseAuditPolicy(POLICY), sink: { write: (e) => events.push(e as never) } },
    });
  });
  afterAll(() => api.stop());

  async function call(user: UserInfo, method: string, path: string, body?: unknown) {
    const url = new URL(path, 'http://x');
    const req: ApiRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: {
        'user-agent': 'kubectl/v1.32.0 (linux/amd64)',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
      user,
      sourceIp: '10.0.0.7',
    };
    events.length = 0;
    const res = await api.server.handler.handle(req);
    return { res, events: [...events] };
  }

  it('logs who did what at Metadata, without the body', async () => {
    const {
      events: [e],
    } = await call(root, 'POST', '/api/v1/namespaces/default/secrets', {
      metadata: { name: 's' },
      stringData: { password: 'hunter2' },
    });
    expect(e).toMatchObject({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      stage: 'ResponseComplete',
      requestURI: '/api/v1/namespaces/default/secrets',
      verb: 'create',
      user: { username: 'root', groups: ['system:masters', 'system:authenticated'] },
      sourceIPs: ['10.0.0.7'],
      userAgent: 'kubectl/v1.32.0 (linux/amd64)',
      objectRef: { resource: 'secrets', namespace: 'default', name: 's', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 201 },
      annotations: { 'authorization.k8s.io/decision': 'allow' },
    });
    expect(e.auditID).toMatch(/^[0-9a-f-]{36}$/);
    expect(String(e.requestReceivedTimestamp)).toMatch(/^\d{4}-\d\d-\d\dT[\d:]+\.\d{6}Z$/);
    expect(JSON.stringify(e)).not.toContain('hunter2');
  });

  it('adds the request at Request, and the response at RequestResponse', async () => {
    const created = await call(root, 'POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'c' },
      data: { k: 'v' },
    });
    expect(created.events[0]).toMatchObject({
      level: 'Request',
      requestObject: { metadata: { name: 'c' }, data: { k: 'v' } },
    });
    expect(created.events[0].responseObject).toBeUndefined();
    const got = await call(root, 'GET', '/api/v1/namespaces/default/configmaps/c?pretty=true');
    expect(got.events[0]).toMatchObject({
      level: 'RequestResponse',
      requestURI: '/api/v1/namespaces/default/configmaps/c?pretty=true',
      objectRef: { resource: 'configmaps', namespace: 'default', name: 'c', apiVersion: 'v1' },
      responseObject: { kind: 'ConfigMap', data: { k: 'v' } },
    });
  });

  it('logs a denial with the authorizer’s word and the Status', async () => {
    const {
      events: [e],
    } = await call(jane, 'DELETE', '/api/v1/namespaces/kube-system/pods/x');
    expect(e).toMatchObject({
      level: 'Metadata',
      verb: 'delete',
      user: { username: 'jane' },
      responseStatus: {
        code: 403,
        status: 'Failure',
        reason: 'Forbidden',
        message:
          'pods "x" is forbidden: User "jane" cannot delete resource "pods" in API group "" in the namespace "kube-system"',
      },
      annotations: { 'authorization.k8s.io/decision': 'forbid' },
    });
  });

  it('logs /version and discovery as non-resource requests', async () => {
    for (const path of ['/version', '/api', '/apis', '/api/v1']) {
      const { events: got } = await call(jane, 'GET', path);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({
        level: 'Metadata',
        verb: 'get',
        requestURI: path,
        user: { username: 'jane' },
        responseStatus: { code: 200 },
      });
      expect(got[0].objectRef).toBeUndefined();
    }
  });

  it('logs a watch when its response starts, and nothing for what the policy drops', async () => {
    const { res, events: started } = await call(
      root,
      'GET',
      '/api/v1/namespaces/kube-system/pods?watch=true',
    );
    if (res.kind === 'watch') res.watch.stop();
    expect(started[0]).toMatchObject({ stage: 'ResponseStarted', verb: 'watch' });
    const proxy = { name: 'system:kube-proxy', groups: ['system:authenticated'] };
    expect((await call(proxy, 'GET', '/api/v1/services')).events).toEqual([]);
  });
});

describe('requests answered at the HTTP edge (/metrics, health checks)', () => {
  const events: Record<string, unknown>[] = [];
  const auditor = new Auditor(
    parseAuditPolicy(POLICY),
    { write: (e) => events.push(e as Record<string, unknown>) },
    () => 'id-1',
  );
  const prometheus: UserInfo = {
    name: 'system:prometheus',
    groups: ['system:monitoring', 'system:authenticated'],
  };
  const received = new Date('2030-01-01T00:00:00.000Z');
  const completed = new Date('2030-01-01T00:00:00.250Z');
  const edge = (url: string, user: UserInfo | undefined, code: number, allowed = true) => {
    events.length = 0;
    auditEdgeRequest(
      auditor,
      { method: 'GET', url, sourceIp: '10.0.0.9', user, received, userAgent: 'Prometheus/2.53' },
      {
        code,
        decision: code === 401 ? undefined : { allowed, reason: allowed ? 'RBAC: allowed' : 'no' },
      },
      completed,
    );
    return [...events];
  };

  it('logs a served /metrics as a non-resource request, without an objectRef', () => {
    expect(edge('/metrics', prometheus, 200)).toEqual([
      {
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        level: 'Metadata',
        auditID: 'id-1',
        stage: 'ResponseComplete',
        requestURI: '/metrics',
        verb: 'get',
        user: { username: 'system:prometheus', groups: prometheus.groups },
        sourceIPs: ['10.0.0.9'],
        userAgent: 'Prometheus/2.53',
        responseStatus: { metadata: {}, code: 200 },
        requestReceivedTimestamp: '2030-01-01T00:00:00.000000Z',
        stageTimestamp: '2030-01-01T00:00:00.250000Z',
        annotations: {
          'authorization.k8s.io/decision': 'allow',
          'authorization.k8s.io/reason': 'RBAC: allowed',
        },
      },
    ]);
  });

  it("matches the policy's nonResourceURLs: /healthz* dropped, /readyz and /livez checks kept", () => {
    expect(edge('/healthz', root, 200)).toEqual([]);
    expect(edge('/healthz/etcd?verbose=1', root, 200)).toEqual([]);
    expect(edge('/readyz?verbose', root, 200)).toMatchObject([
      { level: 'Metadata', requestURI: '/readyz?verbose', verb: 'get' },
    ]);
    expect(edge('/livez/ping', root, 500)).toMatchObject([
      { requestURI: '/livez/ping', responseStatus: { code: 500 } },
    ]);
  });

  it('logs a request without valid credentials with an empty user', () => {
    expect(edge('/metrics', undefined, 401)).toMatchObject([
      { user: { username: '', groups: [] }, responseStatus: { code: 401 } },
    ]);
    expect(edge('/metrics', undefined, 401)[0].annotations).toBeUndefined();
  });
});

describe('the audit log file', () => {
  it('appends one JSON line per event and rotates by size, keeping the newest backups', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-audit-'));
    try {
      let t = Date.UTC(2026, 11, 7, 14, 0, 0);
      const log = new AuditLogFile({
        path: join(dir, 'audit.log'),
        maxBytes: 1000,
        maxBackups: 2,
        clock: () => new Date((t += 1000)),
      });
      for (let i = 0; i < 60; i++) {
        log.write({ kind: 'Event', n: i, pad: 'x'.repeat(80) });
        if (i % 7 === 0) await log.flush();
      }
      await log.flush();
      const files = readdirSync(dir).sort();
      expect(files).toHaveLength(3);
      expect(files[files.length - 1]).toBe('audit.log');
      expect(files[0]).toMatch(/^audit-2026-12-07T14-\d\d-\d\d\.\d{3}\.log$/);
      const numbers = files.flatMap((f) =>
        readFileSync(join(dir, f), 'utf8')
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as { n: number }).n),
      );
      // The newest events, in order, the last one included; every file within the bound.
      expect(numbers[numbers.length - 1]).toBe(59);
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
      for (const f of files) expect(readFileSync(join(dir, f)).length).toBeLessThanOrEqual(1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the file open across batches, and opens the new one after a rotation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-audit-'));
    const opens = jest.mocked(fs.openSync);
    opens.mockClear();
    try {
      const log = new AuditLogFile({ path: join(dir, 'audit.log'), maxBytes: 2000, maxBackups: 0 });
      for (let i = 0; i < 10; i++) {
        log.write({ kind: 'Event', n: i });
        await log.flush();
      }
      expect(opens).toHaveBeenCalledTimes(1);
      // Past 2000 bytes: one rotation, one more open.
      for (let i = 10; i < 40; i++) {
        log.write({ kind: 'Event', n: i, pad: 'x'.repeat(80) });
        await log.flush();
      }
      expect(readdirSync(dir)).toHaveLength(2);
      expect(opens).toHaveBeenCalledTimes(2);
      await log.close();
      // Closed, then written again: opened again, appended after what is there.
      log.write({ kind: 'Event', n: 40 });
      await log.close();
      expect(opens).toHaveBeenCalledTimes(3);
      const last = readFileSync(join(dir, 'audit.log'), 'utf8').trim().split('\n');
      expect(JSON.parse(last[last.length - 1])).toEqual({ kind: 'Event', n: 40 });
      expect(last.length).toBeGreaterThan(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a batch it cannot write, and writes the next once it can', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-audit-'));
    const errors: unknown[] = [];
    try {
      const path = join(dir, 'logs', 'audit.log');
      // A file where the directory should be: the log cannot be opened.
      await fsp.writeFile(join(dir, 'logs'), 'not a directory');
      const log = new AuditLogFile({
        path,
        maxBytes: 0,
        maxBackups: 0,
        onError: (e) => errors.push(e),
      });
      log.write({ n: 1 });
      await log.flush();
      expect(errors).toHaveLength(1);
      rmSync(join(dir, 'logs'), { force: true });
      log.write({ n: 2 });
      await log.close();
      expect(errors).toHaveLength(1);
      expect(readFileSync(path, 'utf8')).toBe('{"n":2}\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes the events of one turn of the event loop in one write, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-audit-'));
    const appends = jest.mocked(fs.writeSync);
    appends.mockClear();
    try {
      const log = new AuditLogFile({ path: join(dir, 'audit.log'), maxBytes: 0, maxBackups: 0 });
      for (let i = 0; i < 50; i++) log.write({ n: i });
      await log.flush();
      expect(appends).toHaveBeenCalledTimes(1);
      log.write({ n: 50 });
      await log.close();
      expect(appends).toHaveBeenCalledTimes(2);
      const lines = readFileSync(join(dir, 'audit.log'), 'utf8').trim().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as { n: number }).n)).toEqual(
        Array.from({ length: 51 }, (_, i) => i),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
