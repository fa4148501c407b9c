// PriorityClass as Kubernetes serves it, and the Priority admission of pods, through the handler.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer } from '../api-server';
import { LocalBackend } from '../storage/local-backend';

// Response bodies are JSON the handler produced; tests read them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const PCS = '/apis/scheduling.k8s.io/v1/priorityclasses';
const PODS = '/api/v1/namespaces/default/pods';

describe('PriorityClass and Priority admission', () => {
  let dir: string;
  let kv: LocalBackend;
  let server: ApiServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-priority-'));
    kv = await LocalBackend.open(dir);
    server = new ApiServer(kv, { watchWindow: 100 });
    await server.bootstrap();
  });
  afterAll(async () => {
    server.stop();
    await kv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Json }> => {
    const [p, query = ''] = path.split('?');
    const out = await server.handler.handle({
      method,
      path: p,
      query: new URLSearchParams(query),
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
    });
    if (out.kind !== 'json') throw new Error('unexpected answer kind');
    return { status: out.status, body: out.body as Json };
  };
  const pod = (name: string, spec: Record<string, unknown> = {}) => ({
    metadata: { name },
    spec: { containers: [{ name: 'c', image: 'pause' }], ...spec },
  });
  const pc = (name: string, value: number, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name },
    value,
    ...extra,
  });

  it('serves the two system classes from bootstrap, with their Kubernetes values', async () => {
    const list = await call('GET', PCS);
    expect(list.status).toBe(200);
    const byName = Object.fromEntries(
      list.body.items.map((i: Json) => [i.metadata.name, [i.value, i.preemptionPolicy]]),
    );
    expect(byName).toEqual({
      'system-cluster-critical': [2000000000, 'PreemptLowerPriority'],
      'system-node-critical': [2000001000, 'PreemptLowerPriority'],
    });
  });

  it('prints NAME VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY as kubectl get pc shows', async () => {
    const table = await call('GET', `${PCS}/system-node-critical`, undefined, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    expect(table.body.columnDefinitions.map((c: Json) => c.name)).toEqual([
      'Name',
      'Value',
      'Global-Default',
      'Age',
      'PreemptionPolicy',
    ]);
    expect(table.body.rows[0].cells.slice(0, 3)).toEqual([
      'system-node-critical',
      2000001000,
      false,
    ]);
  });

  it('validates: value required, user values up to 1e9, system- names reserved, value immutable', async () => {
    expect((await call('POST', PCS, { ...pc('novalue', 1), value: undefined })).status).toBe(422);
    const tooHigh = await call('POST', PCS, pc('too-high', 1_000_000_001));
    expect(tooHigh.status).toBe(422);
    expect(tooHigh.body.message).toContain(
      'maximum allowed value of a user defined priority is 1000000000',
    );
    const reserved = await call('POST', PCS, pc('system-mine', 5));
    expect(reserved.status).toBe(422);
    expect(reserved.body.message).toContain('prefix are reserved for system use only');
    expect(
      (await call('POST', PCS, pc('high', 1000, { preemptionPolicy: 'Sometimes' }))).status,
    ).toBe(422);
    expect((await call('POST', PCS, pc('high', 1000))).status).toBe(201);
    const change = await call(
      'PATCH',
      `${PCS}/high`,
      { value: 2000 },
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    expect(change.status).toBe(422);
    expect(change.body.message).toContain('may not be changed in an update');
  });

  it('gives a pod its class value and policy, 0 without a class, and refuses unknown classes', async () => {
    await call('POST', PCS, pc('never-preempts', 500, { preemptionPolicy: 'Never' }));
    const made = await call('POST', PODS, pod('classy', { priorityClassName: 'never-preempts' }));
    expect(made.status).toBe(201);
    expect(made.body.spec.priority).toBe(500);
    expect(made.body.spec.preemptionPolicy).toBe('Never');
    const plain = await call('POST', PODS, pod('plain'));
    expect(plain.body.spec.priority).toBe(0);
    expect(plain.body.spec.preemptionPolicy).toBe('PreemptLowerPriority');
    const system = await call(
      'POST',
      PODS,
      pod('critical', { priorityClassName: 'system-node-critical' }),
    );
    expect(system.body.spec.priority).toBe(2000001000);
    const unknown = await call('POST', PODS, pod('lost', { priorityClassName: 'nope' }));
    expect(unknown.status).toBe(403);
    expect(unknown.body.message).toBe(
      'pods "lost" is forbidden: no PriorityClass with name nope was found',
    );
    const mismatch = await call(
      'POST',
      PODS,
      pod('liar', { priorityClassName: 'never-preempts', priority: 7 }),
    );
    expect(mismatch.status).toBe(403);
    expect(mismatch.body.message).toContain(
      'the integer value of priority (7) must not be provided in pod spec',
    );
  });

  it('uses the one global default for pods without a class and refuses a second default', async () => {
    expect((await call('POST', PCS, pc('everyone', 42, { globalDefault: true }))).status).toBe(201);
    const second = await call('POST', PCS, pc('also-everyone', 43, { globalDefault: true }));
    expect(second.status).toBe(403);
    expect(second.body.message).toContain(
      'PriorityClass everyone is already marked as default. Only one default can exist',
    );
    const promote = await call(
      'PATCH',
      `${PCS}/high`,
      { globalDefault: true },
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    expect(promote.status).toBe(403);
    const defaulted = await call('POST', PODS, pod('defaulted'));
    expect(defaulted.body.spec.priorityClassName).toBe('everyone');
    expect(defaulted.body.spec.priority).toBe(42);
  });

  it('refuses a binding whose uid precondition names another pod', async () => {
    await call('POST', PODS, pod('bound'));
    const wrong = await call('POST', `${PODS}/bound/binding`, {
      metadata: { name: 'bound', uid: 'not-the-uid' },
      target: { kind: 'Node', name: 'n1' },
    });
    expect(wrong.status).toBe(409);
    expect(wrong.body.message).toContain('Precondition failed: UID in precondition: not-the-uid');
    const current = await call('GET', `${PODS}/bound`);
    const right = await call('POST', `${PODS}/bound/binding`, {
      metadata: { name: 'bound', uid: current.body.metadata.uid },
      target: { kind: 'Node', name: 'n1' },
    });
    expect(right.status).toBe(201);
  });
});
