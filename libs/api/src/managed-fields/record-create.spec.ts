// A create's managedFields entry is built in one walk of the object (recordUpdate's fast path);
// it must be exactly what the general comparison would write, for every kind and for objects
// shaped well or badly.
import { RESOURCES, ResourceInfo, apiVersionOf } from '../catalog';
import type { KubeObject } from '../object';
import { DEFINITIONS } from '../schemas';
import { recordByComparison, recordUpdate } from './field-manager';
import type { Shape } from './shape';
import { fieldShape, itemShape, rootShape } from './shape';

/** xorshift32: the same seed gives the same objects, so a failure replays. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return {
    int: (n: number) => next() % n,
    chance: (p: number) => next() / 0x100000000 < p,
    pick: <T>(xs: readonly T[]): T => xs[next() % xs.length],
  };
}
type Rng = ReturnType<typeof rng>;

const WORDS = ['a', 'b', 'web', 'name', 'app', 'TCP', 'UDP', 'x.y/z', '0', '80'];

function scalar(g: Rng): unknown {
  switch (g.int(5)) {
    case 0:
      return g.pick(WORDS);
    case 1:
      return g.int(3) * 40;
    case 2:
      return g.chance(0.5);
    case 3:
      return null;
    default:
      return `${g.pick(WORDS)}-${g.int(4)}`;
  }
}

/** Anything: what a client may send where the schema expects something else. */
function junk(g: Rng, depth: number): unknown {
  if (depth > 3) return scalar(g);
  switch (g.int(5)) {
    case 0:
      return {};
    case 1:
      return [];
    case 2:
      return Object.fromEntries(
        Array.from({ length: 1 + g.int(3) }, () => [g.pick(WORDS), junk(g, depth + 1)]),
      );
    case 3:
      return Array.from({ length: 1 + g.int(3) }, () => junk(g, depth + 1));
    default:
      return scalar(g);
  }
}

/** A value for a position of this shape: mostly well formed, sometimes not. */
function valueFor(shape: Shape, g: Rng, depth: number): unknown {
  if (depth > 6 || g.chance(0.06)) return junk(g, depth);
  if (g.chance(0.03)) return undefined;
  switch (shape.kind) {
    case 'struct': {
      const fields = Object.keys(DEFINITIONS[shape.def]?.fields ?? {});
      const out: Record<string, unknown> = {};
      const n = g.int(Math.min(fields.length, 5) + 1);
      for (let i = 0; i < n; i++) {
        const k = g.chance(0.1) ? `unknown${g.int(3)}` : g.pick(fields);
        out[k] = valueFor(fieldShape(shape, k), g, depth + 1);
      }
      return out;
    }
    case 'status': {
      const out: Record<string, unknown> = { phase: scalar(g) };
      if (g.chance(0.6))
        out.conditions = Array.from({ length: g.int(4) }, () => ({
          type: g.chance(0.9) ? g.pick(['Ready', 'Available', 'Progressing']) : undefined,
          status: g.pick(['True', 'False']),
        }));
      if (g.chance(0.3)) out.extra = junk(g, depth + 1);
      return out;
    }
    case 'map':
      return Object.fromEntries(
        Array.from({ length: g.int(4) }, () => [
          g.pick(WORDS),
          valueFor(shape.values, g, depth + 1),
        ]),
      );
    case 'list-map':
      return Array.from({ length: g.int(4) }, () => {
        if (g.chance(0.05)) return scalar(g);
        const item = (valueFor(itemShape(shape), g, depth + 1) ?? {}) as Record<string, unknown>;
        const out: Record<string, unknown> =
          typeof item === 'object' && item !== null && !Array.isArray(item) ? { ...item } : {};
        // Key fields: usually present (and so sometimes duplicated), now and then missing.
        for (const k of shape.keys) if (!g.chance(0.1)) out[k] = g.pick(['web', 'db', 80, 'TCP']);
        return out;
      });
    case 'list-set':
      return Array.from({ length: g.int(4) }, () => (g.chance(0.05) ? {} : g.pick(WORDS)));
    case 'atomic':
      return g.chance(0.7) ? scalar(g) : junk(g, depth + 1);
    default:
      return junk(g, depth + 1);
  }
}

function randomObject(r: ResourceInfo, g: Rng): KubeObject {
  const body = (valueFor(rootShape(r), g, 0) ?? {}) as Record<string, unknown>;
  const obj = typeof body === 'object' && !Array.isArray(body) && body !== null ? body : {};
  const metadata = {
    ...(typeof obj.metadata === 'object' && obj.metadata !== null ? obj.metadata : {}),
    name: `o-${g.int(100)}`,
    namespace: 'default',
    uid: 'u-1',
    resourceVersion: g.chance(0.5) ? '7' : undefined,
    creationTimestamp: '2025-01-01T00:00:00Z',
  };
  return { ...obj, apiVersion: apiVersionOf(r), kind: r.kind, metadata } as KubeObject;
}

describe('managedFields of a create', () => {
  const now = new Date('2025-01-01T00:00:00Z');

  it('equal what the general comparison writes, for 300 random objects of every kind', () => {
    for (const r of RESOURCES) {
      for (let seed = 1; seed <= 300; seed++) {
        const g = rng(seed * 7919 + r.kind.length);
        const obj = randomObject(r, g);
        const ctx = { r, manager: 'kubectl-create', now };
        const fast = recordUpdate(ctx, undefined, obj);
        const general = recordByComparison(ctx, undefined, obj);
        // Compared as JSON text: same entries, same FieldsV1 trie, same key order.
        const where = `${r.plural}, seed ${seed}: ${JSON.stringify(obj)}`;
        expect({ where, json: JSON.stringify(fast) }).toEqual({
          where,
          json: JSON.stringify(general),
        });
      }
    }
  });

  it('a pod: the manager owns its spec and labels, not identity, system fields or status', () => {
    const pods = RESOURCES.find((r) => r.plural === 'pods')!;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default', uid: 'u', labels: { app: 'web' } },
      spec: {
        containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }], resources: {} }],
        nodeSelector: { disk: 'ssd' },
      },
      status: { phase: 'Pending' },
    } as unknown as KubeObject;
    const out = recordUpdate({ r: pods, manager: 'kubectl-create', now }, undefined, pod);
    const [entry] = out.metadata.managedFields as Record<string, unknown>[];
    expect(out.metadata.managedFields).toHaveLength(1);
    expect(entry).toMatchObject({
      manager: 'kubectl-create',
      operation: 'Update',
      apiVersion: 'v1',
      time: '2025-01-01T00:00:00Z',
      fieldsType: 'FieldsV1',
    });
    const fields = entry.fieldsV1 as Record<string, Record<string, Record<string, unknown>>>;
    expect(Object.keys(fields)).toEqual(['f:metadata', 'f:spec']);
    expect(fields['f:metadata']).toEqual({ 'f:labels': { '.': {}, 'f:app': {} } });
    expect(fields['f:spec']['f:nodeSelector']).toEqual({}); // an atomic map: owned whole
    expect(fields['f:spec']['f:containers']['k:{"name":"c"}']).toEqual({
      '.': {},
      'f:image': {},
      'f:name': {},
      'f:ports': {
        '.': {},
        'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} },
      },
      'f:resources': {},
    });
  });

  it('an object holding nothing a write may own gets no entry', () => {
    const cms = RESOURCES.find((r) => r.plural === 'configmaps')!;
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'd' } };
    const out = recordUpdate({ r: cms, manager: 'm', now }, undefined, cm as KubeObject);
    expect(out.metadata.managedFields).toBeUndefined();
  });
});
