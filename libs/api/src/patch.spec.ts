import { findResource } from './catalog';
import type { KubeObject } from './object';
import { applyPatch, PATCH_TYPES } from './patch';
import { ApiError } from './status';

const pods = findResource('', 'v1', 'pods')!;
const deployments = findResource('apps', 'v1', 'deployments')!;
const services = findResource('', 'v1', 'services')!;
const nodes = findResource('', 'v1', 'nodes')!;

const JSON_PATCH = 'application/json-patch+json';
const MERGE = 'application/merge-patch+json';
const SMP = 'application/strategic-merge-patch+json; charset=utf-8';

function pod(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', labels: { app: 'web', tier: 'front' }, finalizers: ['a', 'b'] },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'nginx:1',
          ports: [{ containerPort: 80 }, { containerPort: 443 }],
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
        },
        { name: 'sidecar', image: 'busybox' },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
      tolerations: [{ key: 'x', operator: 'Exists' }],
    },
  };
}

function error(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected an ApiError');
}

const spec = (o: KubeObject) =>
  o.spec as { containers: Record<string, unknown>[]; [k: string]: unknown };

describe('content types', () => {
  it('lists the four supported types (server-side apply goes its own way)', () => {
    expect(PATCH_TYPES).toEqual([
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
      'application/apply-patch+yaml',
    ]);
  });

  it('answers 415 for anything else, apply patches included', () => {
    for (const type of ['application/json', 'application/apply-patch+yaml', 'text/plain']) {
      const err = error(() => applyPatch(type, pod(), {}, pods));
      expect(err.code).toBe(415);
      expect(err.status.reason).toBe('UnsupportedMediaType');
    }
  });
});

describe('JSON patch', () => {
  it('applies add, replace, remove, move, copy and test', () => {
    const out = applyPatch(
      JSON_PATCH,
      pod(),
      [
        { op: 'test', path: '/metadata/name', value: 'web' },
        { op: 'add', path: '/metadata/labels/new', value: 'yes' },
        { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:2' },
        { op: 'remove', path: '/metadata/labels/tier' },
        { op: 'add', path: '/metadata/finalizers/-', value: 'c' },
        { op: 'copy', from: '/metadata/labels/app', path: '/metadata/labels/copy' },
        { op: 'move', from: '/metadata/labels/copy', path: '/metadata/labels/moved' },
        { op: 'add', path: '/metadata/annotations~1x', value: 'escaped' },
      ],
      pods,
    );
    expect(out.metadata.labels).toEqual({ app: 'web', new: 'yes', moved: 'web' });
    expect(out.metadata.finalizers).toEqual(['a', 'b', 'c']);
    expect(spec(out).containers[0].image).toBe('nginx:2');
    expect((out.metadata as Record<string, unknown>)['annotations/x']).toBe('escaped');
  });

  it('does not change the original', () => {
    const original = pod();
    applyPatch(JSON_PATCH, original, [{ op: 'remove', path: '/metadata/labels' }], pods);
    expect(original.metadata.labels).toBeDefined();
  });

  it('a failed test or a missing path is 422 with the reason in causes', () => {
    const failed = error(() =>
      applyPatch(JSON_PATCH, pod(), [{ op: 'test', path: '/metadata/name', value: 'x' }], pods),
    );
    expect(failed.code).toBe(422);
    expect(failed.status).toMatchObject({
      reason: 'Invalid',
      message: 'the server rejected our request due to an error in our request',
      details: {
        causes: [
          {
            reason: 'UnexpectedServerResponse',
            message: 'testing value /metadata/name failed: test failed',
          },
        ],
      },
    });
    expect(
      error(() => applyPatch(JSON_PATCH, pod(), [{ op: 'remove', path: '/spec/nothing' }], pods))
        .code,
    ).toBe(422);
    expect(
      error(() => applyPatch(JSON_PATCH, pod(), [{ op: 'replace', path: '/a/b', value: 1 }], pods))
        .code,
    ).toBe(422);
    expect(
      error(() =>
        applyPatch(JSON_PATCH, pod(), [{ op: 'add', path: '/spec/containers/9', value: {} }], pods),
      ).code,
    ).toBe(422);
    expect(
      error(() => applyPatch(JSON_PATCH, pod(), [{ op: 'frobnicate', path: '/x' }], pods)).code,
    ).toBe(422);
  });

  it('a body that is not a list of operations is 400', () => {
    expect(error(() => applyPatch(JSON_PATCH, pod(), { op: 'add' }, pods)).code).toBe(400);
    expect(error(() => applyPatch(JSON_PATCH, pod(), ['x'], pods)).code).toBe(400);
  });
});

describe('JSON merge patch', () => {
  it('merges objects, deletes with null and replaces lists', () => {
    const out = applyPatch(
      MERGE,
      pod(),
      {
        metadata: { labels: { tier: null, v: '2' } },
        spec: { containers: [{ name: 'only', image: 'x' }] },
      },
      pods,
    );
    expect(out.metadata.labels).toEqual({ app: 'web', v: '2' });
    expect(spec(out).containers).toEqual([{ name: 'only', image: 'x' }]);
  });

  it('a non-object body is 400', () => {
    expect(error(() => applyPatch(MERGE, pod(), [1], pods)).code).toBe(400);
  });
});

describe('strategic merge patch', () => {
  it('merges containers by name, ports by containerPort and env by name', () => {
    const out = applyPatch(
      SMP,
      pod(),
      {
        spec: {
          containers: [
            {
              name: 'app',
              image: 'nginx:2',
              ports: [{ containerPort: 8080 }],
              env: [
                { name: 'B', value: 'two' },
                { name: 'C', value: '3' },
              ],
            },
            { name: 'new', image: 'redis' },
          ],
        },
      },
      pods,
    );
    const containers = spec(out).containers;
    expect(containers.map((c) => c.name)).toEqual(['app', 'sidecar', 'new']);
    expect(containers[0].image).toBe('nginx:2');
    expect(containers[0].ports).toEqual([
      { containerPort: 80 },
      { containerPort: 443 },
      { containerPort: 8080 },
    ]);
    expect(containers[0].env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'two' },
      { name: 'C', value: '3' },
    ]);
  });

  it('replaces lists without a merge strategy (tolerations) and merges finalizers as a set', () => {
    const out = applyPatch(
      SMP,
      pod(),
      {
        metadata: { finalizers: ['b', 'c'] },
        spec: { tolerations: [{ key: 'y', operator: 'Exists' }] },
      },
      pods,
    );
    expect(out.metadata.finalizers).toEqual(['a', 'b', 'c']);
    expect(spec(out).tolerations).toEqual([{ key: 'y', operator: 'Exists' }]);
  });

  it('null deletes a key', () => {
    const out = applyPatch(SMP, pod(), { metadata: { labels: { tier: null } } }, pods);
    expect(out.metadata.labels).toEqual({ app: 'web' });
  });

  it('$patch: delete removes a list element by merge key', () => {
    const out = applyPatch(
      SMP,
      pod(),
      { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } },
      pods,
    );
    expect(spec(out).containers.map((c) => c.name)).toEqual(['app']);
  });

  it('$patch: replace replaces a list or a map', () => {
    const list = applyPatch(
      SMP,
      pod(),
      { spec: { containers: [{ name: 'solo', image: 'x' }, { $patch: 'replace' }] } },
      pods,
    );
    expect(spec(list).containers).toEqual([{ name: 'solo', image: 'x' }]);
    const map = applyPatch(
      SMP,
      pod(),
      { metadata: { labels: { only: 'this', $patch: 'replace' } } },
      pods,
    );
    expect(map.metadata.labels).toEqual({ only: 'this' });
    const gone = applyPatch(SMP, pod(), { metadata: { labels: { $patch: 'delete' } } }, pods);
    expect(gone.metadata.labels).toBeUndefined();
  });

  it('$setElementOrder orders the merged list', () => {
    const out = applyPatch(
      SMP,
      pod(),
      {
        spec: {
          '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'new' }, { name: 'app' }],
          containers: [{ name: 'new', image: 'redis' }],
        },
      },
      pods,
    );
    expect(spec(out).containers.map((c) => c.name)).toEqual(['sidecar', 'new', 'app']);
  });

  it('$deleteFromPrimitiveList removes values from a primitive list', () => {
    const out = applyPatch(
      SMP,
      pod(),
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } },
      pods,
    );
    expect(out.metadata.finalizers).toEqual(['b']);
  });

  it('$retainKeys drops keys not listed (deployment strategy)', () => {
    const d: KubeObject = {
      metadata: { name: 'd' },
      spec: {
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
        },
      },
    };
    const out = applyPatch(
      SMP,
      d,
      { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      deployments,
    );
    expect(out.spec).toEqual({ strategy: { type: 'Recreate' } });
    const err = error(() =>
      applyPatch(
        SMP,
        d,
        { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } },
        deployments,
      ),
    );
    expect(err.code).toBe(422);
  });

  it('merges service ports by port and node conditions by type', () => {
    const svc: KubeObject = {
      metadata: { name: 's' },
      spec: { ports: [{ port: 80, targetPort: 80 }, { port: 443 }] },
    };
    const out = applyPatch(
      SMP,
      svc,
      { spec: { ports: [{ port: 80, targetPort: 8080 }] } },
      services,
    );
    expect((out.spec as { ports: unknown[] }).ports).toEqual([
      { port: 80, targetPort: 8080 },
      { port: 443 },
    ]);
    const node: KubeObject = {
      metadata: { name: 'n' },
      status: {
        conditions: [
          { type: 'Ready', status: 'False' },
          { type: 'DiskPressure', status: 'False' },
        ],
      },
    };
    const ready = applyPatch(
      SMP,
      node,
      { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      nodes,
    );
    expect((ready.status as { conditions: unknown[] }).conditions).toEqual([
      { type: 'Ready', status: 'True' },
      { type: 'DiskPressure', status: 'False' },
    ]);
  });

  it('bad directives are 400', () => {
    expect(
      error(() => applyPatch(SMP, pod(), { metadata: { $patch: 'explode' } }, pods)).code,
    ).toBe(400);
    expect(
      error(() => applyPatch(SMP, pod(), { spec: { containers: [{ image: 'no-name' }] } }, pods))
        .code,
    ).toBe(400);
    expect(error(() => applyPatch(SMP, pod(), [], pods)).code).toBe(400);
  });
});
