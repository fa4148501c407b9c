// namespaces/<n>/finalize and the end of a namespace's life: a deleted namespace stays
// Terminating, whatever is written to it, until the `kubernetes` finalizer is removed through
// the finalize subresource; then it is gone.
import { isApiError, type KubeObject } from '@flotilla/api';
import { startTestApi, type TestApi } from '@flotilla/testing';

describe('namespace finalize', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi();
  });
  afterEach(() => api.stop());

  const send = async (method: 'PUT' | 'PATCH', path: string, body: unknown, type?: string) => {
    const res = await api.client.send({
      method,
      path,
      headers: { 'content-type': type ?? 'application/json', accept: 'application/json' },
      body: Buffer.from(JSON.stringify(body)),
      idempotent: false,
    });
    return { status: res.status, body: JSON.parse(res.body.toString()) as KubeObject };
  };
  const finalize = (ns: KubeObject, finalizers: string[], extra: Partial<KubeObject> = {}) =>
    send('PUT', `/api/v1/namespaces/${ns.metadata.name}/finalize`, {
      ...ns,
      ...extra,
      spec: { finalizers },
    });
  const gone = async (name: string) => {
    try {
      await api.client.namespaces().get(name);
      return false;
    } catch (err) {
      return isApiError(err) && err.status.code === 404;
    }
  };

  it('keeps a terminating namespace through status writes, removes it once finalized', async () => {
    const nss = api.client.namespaces();
    await nss.create({ metadata: { name: 'doomed' } });
    await nss.delete('doomed');
    const terminating = await nss.get('doomed');
    expect(terminating.status?.phase).toBe('Terminating');
    expect(terminating.spec?.finalizers).toEqual(['kubernetes']);
    // The namespace controller reports progress through status: the namespace stays.
    const reported = await nss.updateStatus({
      ...terminating,
      status: {
        phase: 'Terminating',
        conditions: [{ type: 'NamespaceContentRemaining', status: 'True', reason: 'x' }],
      },
    });
    expect(await gone('doomed')).toBe(false);
    // A second delete changes nothing while the finalizer is there.
    await nss.delete('doomed');
    expect(await gone('doomed')).toBe(false);
    const done = await finalize(reported, []);
    expect(done.status).toBe(200);
    expect(await gone('doomed')).toBe(true);
  });

  it('changes spec.finalizers only, and keeps a namespace whose other finalizers remain', async () => {
    const nss = api.client.namespaces();
    const created = await nss.create({
      metadata: { name: 'held' },
      spec: { finalizers: ['kubernetes', 'example.com/hold'] },
    });
    const r = await finalize(created, ['example.com/hold'], {
      metadata: { ...created.metadata, labels: { sneaky: 'yes' } },
    });
    expect(r.status).toBe(200);
    expect(r.body.spec).toEqual({ finalizers: ['example.com/hold'] });
    expect(r.body.metadata.labels?.sneaky).toBeUndefined();
    await nss.delete('held');
    expect(await gone('held')).toBe(false);
    await finalize(await nss.get('held'), []);
    expect(await gone('held')).toBe(true);
  });

  it('answers only PUT, checks names and the resourceVersion precondition', async () => {
    const nss = api.client.namespaces();
    const ns = await nss.create({ metadata: { name: 'picky' } });
    const patch = await send(
      'PATCH',
      '/api/v1/namespaces/picky/finalize',
      { spec: { finalizers: [] } },
      'application/merge-patch+json',
    );
    expect(patch.status).toBe(405);
    const invalid = await finalize(ns, ['not a name!']);
    expect(invalid.status).toBe(422);
    expect(JSON.stringify(invalid.body)).toContain('spec.finalizers[0]');
    await nss.updateStatus({ ...ns, status: { phase: 'Active' } });
    const stale = await finalize(ns, []);
    expect(stale.status).toBe(409);
  });

  it('is listed in discovery as namespaces/finalize with the update verb', async () => {
    const core = await api.client.getJson<{ resources: { name: string; verbs: string[] }[] }>(
      '/api/v1',
    );
    expect(core.resources.find((r) => r.name === 'namespaces/finalize')).toMatchObject({
      verbs: ['update'],
    });
  });
});
