import { findResource } from '../catalog';
import type { KubeObject } from '../object';
import { ApiError } from '../status';
import {
  applyConfiguration,
  fieldManagerProblems,
  FieldManagerContext,
  managerFromUserAgent,
  recordUpdate,
} from './field-manager';
import { pathText } from './field-set';
import { decodeManagedFields, ManagedFieldsEntry } from './managers';

const configmaps = findResource('', 'v1', 'configmaps')!;
const deployments = findResource('apps', 'v1', 'deployments')!;
const T0 = new Date('2025-01-01T00:00:00Z');
const T1 = new Date('2025-01-01T00:01:00Z');

const ctx = (
  manager: string,
  r = configmaps,
  now = T0,
  subresource?: FieldManagerContext['subresource'],
): FieldManagerContext => ({ r, manager, now, subresource });

const cm = (
  data: Record<string, string>,
  extra: Partial<KubeObject['metadata']> = {},
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', namespace: 'default', uid: 'u1', resourceVersion: '5', ...extra },
  data,
});

const entries = (o: KubeObject) => o.metadata.managedFields as ManagedFieldsEntry[];
/** manager/operation → the paths it owns. */
const owners = (o: KubeObject) =>
  Object.fromEntries(
    decodeManagedFields(o.metadata.managedFields).map((e) => [
      `${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ''}`,
      e.fields.paths().map(pathText),
    ]),
  );

function conflict(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected a conflict');
}

describe('field manager names', () => {
  it.each([
    ['kubectl/v1.32.4 (linux/amd64) kubernetes/59526cd', 'kubectl'],
    ['kube-controller-manager/v1.32.0', 'kube-controller-manager'],
    ['node-fetch', 'node-fetch'],
    ['tab\there/1', 'tabhere'],
    ['', ''],
  ])('%j → %j', (ua, manager) => {
    expect(managerFromUserAgent(ua)).toBe(manager);
  });

  it('caps the derived name at 128 bytes', () => {
    expect(managerFromUserAgent('x'.repeat(300))).toHaveLength(128);
  });

  it('refuses names too long or unprintable', () => {
    expect(fieldManagerProblems('kubectl')).toEqual([]);
    expect(fieldManagerProblems('x'.repeat(129))[0].reason).toBe('FieldValueTooLong');
    expect(fieldManagerProblems('a\nb')[0].message).toContain(
      'invalid character U+000A (at position 1)',
    );
  });
});

describe('recordUpdate', () => {
  it('gives a create the fields of the new object, identity fields left out', () => {
    const created = recordUpdate(
      ctx('kubectl-create'),
      undefined,
      cm({ a: '1' }, { labels: { x: 'y' } }),
    );
    expect(entries(created)).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        time: '2025-01-01T00:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:data': { '.': {}, 'f:a': {} },
          'f:metadata': { 'f:labels': { '.': {}, 'f:x': {} } },
        },
      },
    ]);
  });

  it('moves a changed field to the manager that changed it; unchanged fields stay', () => {
    const created = recordUpdate(ctx('a'), undefined, cm({ x: '1', y: '1' }));
    const updated = recordUpdate(ctx('b', configmaps, T1), created, {
      ...cm({ x: '2', y: '1' }),
      metadata: created.metadata,
    });
    expect(owners(updated)).toEqual({ 'a/Update': ['.data', '.data.y'], 'b/Update': ['.data.x'] });
    expect(entries(updated).find((e) => e.manager === 'b')!.time).toBe('2025-01-01T00:01:00Z');
  });

  it('drops a manager that owns nothing any more', () => {
    const created = recordUpdate(ctx('a'), undefined, cm({ x: '1' }));
    const next = { ...cm({ x: '2' }), metadata: { ...created.metadata } };
    const updated = recordUpdate(ctx('b'), created, next);
    // 'a' still owns the map itself.
    expect(owners(updated)).toEqual({ 'a/Update': ['.data'], 'b/Update': ['.data.x'] });
    const removed = recordUpdate(ctx('c'), updated, {
      ...cm({}),
      metadata: { ...updated.metadata },
    });
    expect(owners(removed)).toEqual({ 'a/Update': ['.data'] });
  });

  it('keeps the time of a manager whose write changed nothing', () => {
    const created = recordUpdate(ctx('a'), undefined, cm({ x: '1' }));
    const same = recordUpdate(ctx('a', configmaps, T1), created, { ...created });
    expect(entries(same)[0].time).toBe('2025-01-01T00:00:00Z');
  });

  it('takes managedFields a request sets explicitly; an absent or unreadable list keeps the stored ones', () => {
    const created = recordUpdate(ctx('a'), undefined, cm({ x: '1' }));
    const explicit: ManagedFieldsEntry[] = [
      {
        manager: 'z',
        operation: 'Apply',
        apiVersion: 'v1',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:x': {} } },
      },
    ];
    const set = recordUpdate(ctx('b'), created, {
      ...cm({ x: '1' }),
      metadata: { ...created.metadata, managedFields: explicit },
    });
    expect(owners(set)).toEqual({ 'z/Apply': ['.data.x'] });
    const { managedFields: _, ...stripped } = created.metadata;
    const absent = recordUpdate(ctx('b'), created, { ...cm({ x: '1' }), metadata: stripped });
    expect(owners(absent)).toEqual({ 'a/Update': ['.data', '.data.x'] });
    const absentAndChanged = recordUpdate(ctx('b'), created, {
      ...cm({ x: '2' }),
      metadata: stripped,
    });
    expect(owners(absentAndChanged)).toEqual({ 'a/Update': ['.data'], 'b/Update': ['.data.x'] });
    const twoEmpty = recordUpdate(ctx('b'), created, {
      ...cm({ x: '1' }),
      metadata: { ...created.metadata, managedFields: [{}, {}] },
    });
    expect(owners(twoEmpty)).toEqual({ 'a/Update': ['.data', '.data.x'] });
    const unreadable = recordUpdate(ctx('b'), created, {
      ...cm({ x: '1' }),
      metadata: { ...created.metadata, managedFields: [{ manager: 'q', operation: 'Bogus' }] },
    });
    expect(owners(unreadable)).toEqual({ 'a/Update': ['.data', '.data.x'] });
  });

  it('clears managedFields on [] and on [{}], then records what the same request changed', () => {
    const created = recordUpdate(ctx('a'), undefined, cm({ x: '1' }));
    const cleared = recordUpdate(ctx('b'), created, {
      ...created,
      metadata: { ...created.metadata, managedFields: [{}] },
    });
    expect(cleared.metadata.managedFields).toBeUndefined();
    const emptied = recordUpdate(ctx('b'), created, {
      ...created,
      metadata: { ...created.metadata, managedFields: [] },
    });
    expect(emptied.metadata.managedFields).toBeUndefined();
    const clearedAndChanged = recordUpdate(ctx('b'), created, {
      ...cm({ x: '2' }),
      metadata: { ...created.metadata, managedFields: [{}] },
    });
    expect(owners(clearedAndChanged)).toEqual({ 'b/Update': ['.data.x'] });
  });

  it('records status writes with their subresource, spec writes without status', () => {
    const d = (replicas: number, status: Record<string, unknown>): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas },
      status,
    });
    const created = recordUpdate(
      ctx('kubectl-create', deployments),
      undefined,
      d(1, { replicas: 0 }),
    );
    expect(owners(created)).toEqual({ 'kubectl-create/Update': ['.spec.replicas'] });
    const status = recordUpdate(ctx('controller', deployments, T0, 'status'), created, {
      ...d(1, { replicas: 1 }),
      metadata: created.metadata,
    });
    expect(owners(status)).toEqual({
      'kubectl-create/Update': ['.spec.replicas'],
      'controller/Update/status': ['.status.replicas'],
    });
    const scaled = recordUpdate(ctx('kubectl', deployments, T0, 'scale'), status, {
      ...d(5, { replicas: 1 }),
      metadata: status.metadata,
    });
    expect(owners(scaled)).toEqual({
      'controller/Update/status': ['.status.replicas'],
      'kubectl/Update/scale': ['.spec.replicas'],
    });
  });
});

describe('applyConfiguration', () => {
  const config = (data: Record<string, string>, labels?: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', ...(labels ? { labels } : {}) },
    data,
  });
  const apply = (
    manager: string,
    live: KubeObject | undefined,
    cfg: Record<string, unknown>,
    force = false,
    now = T0,
  ) => {
    const out = applyConfiguration(ctx(manager, configmaps, now), live, {
      config: cfg,
      force,
    }).object;
    return { ...out, metadata: { ...out.metadata, resourceVersion: '9' } } as KubeObject;
  };

  it('creates with an Apply entry owning exactly the applied fields', () => {
    const created = apply('kubectl', undefined, config({ a: '1' }, { app: 'x' }));
    expect(created.data).toEqual({ a: '1' });
    expect(entries(created)).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'v1',
        time: '2025-01-01T00:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:a': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } },
      },
    ]);
  });

  it('removes fields the manager applied before and leaves out now', () => {
    const first = apply('kubectl', undefined, config({ a: '1', b: '2' }, { app: 'x' }));
    const second = apply('kubectl', first, config({ a: '1' }));
    expect(second.data).toEqual({ a: '1' });
    expect(second.metadata.labels).toBeUndefined();
    expect(owners(second)).toEqual({ 'kubectl/Apply': ['.data.a'] });
  });

  it('keeps a left-out field another manager also owns (shared ownership)', () => {
    const first = apply('one', undefined, config({ a: '1', b: '2' }));
    const shared = apply('two', first, config({ b: '2' }));
    expect(owners(shared)).toEqual({
      'one/Apply': ['.data.a', '.data.b'],
      'two/Apply': ['.data.b'],
    });
    const dropped = apply('one', shared, config({ a: '1' }));
    expect(dropped.data).toEqual({ a: '1', b: '2' });
    expect(owners(dropped)).toEqual({ 'one/Apply': ['.data.a'], 'two/Apply': ['.data.b'] });
  });

  it('answers 409 naming each field and manager when another manager owns a changed field', () => {
    const first = apply('kubectl', undefined, config({ a: '1', b: '1' }));
    const edited = recordUpdate(ctx('kubectl-edit', configmaps, T1), first, {
      ...first,
      data: { a: '2', b: '2' },
    });
    const err = conflict(() => apply('kubectl', edited, config({ a: '3', b: '3' })));
    expect(err.code).toBe(409);
    expect(err.status).toMatchObject({
      reason: 'Conflict',
      message:
        'Apply failed with 2 conflicts: conflicts with "kubectl-edit" using v1:\n- .data.a\n- .data.b',
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "kubectl-edit" using v1',
            field: '.data.a',
          },
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "kubectl-edit" using v1',
            field: '.data.b',
          },
        ],
      },
    });
    const one = conflict(() => apply('kubectl', edited, config({ a: '3', b: '2' })));
    expect(one.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.a',
    );
  });

  it('does not conflict when the applied value equals the live one: the field becomes shared', () => {
    const first = apply('a', undefined, config({ x: '1' }));
    const same = apply('b', first, config({ x: '1' }));
    expect(owners(same)).toEqual({ 'a/Apply': ['.data.x'], 'b/Apply': ['.data.x'] });
    // Any change of a shared field now conflicts, for either applier.
    expect(conflict(() => apply('a', same, config({ x: '2' }))).message).toBe(
      'Apply failed with 1 conflict: conflict with "b": .data.x',
    );
  });

  it('takes the conflicting fields over with force', () => {
    const first = apply('kubectl', undefined, config({ a: '1', b: '1' }));
    const other = apply('other', first, config({ a: '2' }), true);
    expect(other.data).toEqual({ a: '2', b: '1' });
    expect(owners(other)).toEqual({ 'kubectl/Apply': ['.data.b'], 'other/Apply': ['.data.a'] });
  });

  it('gives what an object held before field management to before-first-apply', () => {
    const legacy = cm({ a: '1', b: '1' });
    const applied = apply('kubectl', legacy, config({ a: '1', c: '1' }));
    expect(owners(applied)).toEqual({
      'kubectl/Apply': ['.data.a', '.data.c'],
      'before-first-apply/Update': ['.data', '.data.a', '.data.b'],
    });
    expect(conflict(() => apply('kubectl', applied, config({ b: '2' }))).message).toContain(
      'conflict with "before-first-apply" using v1: .data.b',
    );
  });

  it('leaves the time alone when an apply changes nothing', () => {
    const first = apply('kubectl', undefined, config({ a: '1' }));
    const again = apply('kubectl', first, config({ a: '1' }), false, T1);
    expect(again.data).toEqual(first.data);
    expect(entries(again)[0].time).toBe('2025-01-01T00:00:00Z');
  });

  it("keeps kubectl's last-applied annotation current for kubectl", () => {
    const LAST = 'kubectl.kubernetes.io/last-applied-configuration';
    const live = cm({ a: '1' }, { annotations: { [LAST]: '{}' } });
    const out = apply('kubectl', live, config({ a: '2' }), true);
    expect(JSON.parse(out.metadata.annotations![LAST])).toEqual(config({ a: '2' }));
    const other = apply('someone', live, config({ a: '2' }), true);
    expect(other.metadata.annotations![LAST]).toBe('{}');
  });

  it('conflicts with an Update through the scale subresource, naming it', () => {
    const d = (replicas: number) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas },
    });
    const created = applyConfiguration(ctx('kubectl', deployments), undefined, {
      config: d(2),
      force: false,
    }).object;
    const scaled = recordUpdate(ctx('kubectl', deployments, T1, 'scale'), created, {
      ...created,
      spec: { replicas: 5 },
    });
    const err = conflict(() =>
      applyConfiguration(ctx('kubectl', deployments), scaled, { config: d(2), force: false }),
    );
    expect(err.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas',
    );
    const forced = applyConfiguration(ctx('kubectl', deployments), scaled, {
      config: d(2),
      force: true,
    }).object;
    expect(forced.spec).toEqual({ replicas: 2 });
    expect(owners(forced)).toEqual({ 'kubectl/Apply': ['.spec.replicas'] });
  });
});
