// Member names such as "__proto__", "constructor" and "prototype" are data in every walk of user
// JSON: none may reach a prototype, none may read one, and results keep Object.prototype.
import { findResource } from './catalog';
import { applyDefaults } from './defaults';
import { canonicalJson } from './managed-fields/field-set';
import { rootShape } from './managed-fields/shape';
import { compareValues, fieldSetOf, mergeValues, removeFields } from './managed-fields/typed';
import { applyMergePatch } from './merge-patch';
import { getPath, jsonEqual, KubeObject } from './object';
import { getOwn, hasOwn, setOwn } from './own-keys';
import { applyPatch } from './patch';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf } from './protobuf';
import { labelSelectorFromObject, matchesLabels } from './selectors';
import { applyStrategicMerge } from './strategic-merge';
import { rootNode } from './patch-meta';
import { unknownFieldPaths } from './unknown-fields';
import { validateCreate } from './strategy';
import { ApiError } from './status';

const pods = findResource('', 'v1', 'pods')!;
const configmaps = findResource('', 'v1', 'configmaps')!;
const deployments = findResource('apps', 'v1', 'deployments')!;

/** JSON as a client sends it: JSON.parse makes "__proto__" an own member. */
const wire = <T = Record<string, unknown>>(text: string): T => JSON.parse(text) as T;

function expectClean(value: unknown): void {
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (!Array.isArray(v)) expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    stack.push(...(Array.isArray(v) ? v : Object.values(v)));
  }
}

afterEach(() => {
  // Whatever a test did, the process's prototypes are untouched.
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
});

describe('own-keys helpers', () => {
  it('read and write "__proto__" as a plain member', () => {
    const o: Record<string, unknown> = {};
    setOwn(o, '__proto__', { polluted: 'yes' });
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(hasOwn(o, '__proto__')).toBe(true);
    expect(getOwn(o, '__proto__')).toEqual({ polluted: 'yes' });
    expect(JSON.stringify(o)).toBe('{"__proto__":{"polluted":"yes"}}');
  });

  it('never return inherited members', () => {
    expect(getOwn({}, 'constructor')).toBeUndefined();
    expect(getOwn({}, '__proto__')).toBeUndefined();
    expect(hasOwn({}, 'toString')).toBe(false);
  });
});

describe('merge patch (RFC 7386)', () => {
  it('keeps "__proto__" in a patch as a member of the result', () => {
    const out = applyMergePatch({ a: 1 }, wire('{"__proto__":{"polluted":"yes"},"b":2}'));
    expect(JSON.stringify(out)).toBe('{"a":1,"__proto__":{"polluted":"yes"},"b":2}');
    expectClean(out);
  });

  it('merges into and deletes a "__proto__" member like any other', () => {
    const base = wire('{"data":{"__proto__":{"x":1}}}');
    const merged = applyMergePatch(base, wire('{"data":{"__proto__":{"y":2}}}'));
    expect(JSON.stringify(merged)).toBe('{"data":{"__proto__":{"x":1,"y":2}}}');
    const deleted = applyMergePatch(merged, wire('{"data":{"__proto__":null}}'));
    expect(JSON.stringify(deleted)).toBe('{"data":{}}');
    expectClean(merged);
  });

  it('adds "constructor" and "toString" members that the target does not have', () => {
    const out = applyMergePatch(
      {},
      wire('{"constructor":{"prototype":{"polluted":"yes"}},"toString":"s"}'),
    );
    expect(JSON.stringify(out)).toBe(
      '{"constructor":{"prototype":{"polluted":"yes"}},"toString":"s"}',
    );
    expectClean(out);
  });
});

describe('strategic merge patch', () => {
  const node = rootNode('', 'v1', 'Pod');

  it('keeps "__proto__" as data at the top, inside structs and inside list items', () => {
    const pod = {
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    };
    const patch = wire(
      '{"__proto__":{"polluted":"yes"},"spec":{"__proto__":{"polluted":"yes"},' +
        '"containers":[{"name":"c","__proto__":{"polluted":"yes"}}]}}',
    );
    const out = applyStrategicMerge(pod, patch, node) as Record<string, unknown>;
    expectClean(out);
    expect(hasOwn(out, '__proto__')).toBe(true);
    expect(hasOwn(out.spec as object, '__proto__')).toBe(true);
    const c = (out.spec as { containers: Record<string, unknown>[] }).containers[0];
    expect(hasOwn(c, '__proto__')).toBe(true);
    expect(c.image).toBe('i');
  });

  it('treats a merge key named like an inherited member as missing', () => {
    // Items of containers merge by "name"; an item without it is refused, whatever it inherits.
    const patch = wire('{"spec":{"containers":[{"constructor":"x"}]}}');
    expect(() => applyStrategicMerge({ spec: {} }, patch, node)).toThrow('merge key');
  });

  it('does not take "constructor" as a field of the schema', () => {
    const out = applyStrategicMerge(
      { spec: {} },
      wire('{"spec":{"constructor":{"prototype":{"polluted":"yes"}}}}'),
      node,
    );
    expect(JSON.stringify(out)).toBe('{"spec":{"constructor":{"prototype":{"polluted":"yes"}}}}');
  });
});

describe('applyPatch answers through every patch type', () => {
  const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } };

  it.each([
    ['application/merge-patch+json', '{"__proto__":{"polluted":"yes"}}'],
    ['application/strategic-merge-patch+json', '{"__proto__":{"polluted":"yes"}}'],
    [
      'application/json-patch+json',
      '[{"op":"add","path":"/__proto__","value":{"polluted":"yes"}}]',
    ],
  ])('%s gives a result with Object.prototype', (type, body) => {
    const out = applyPatch(type, cm, wire(body), configmaps);
    expectClean(out);
    expect(hasOwn(out, '__proto__')).toBe(true);
  });

  it('answers 422 for a JSON patch that walks into "__proto__"', () => {
    let err: unknown;
    try {
      applyPatch(
        'application/json-patch+json',
        cm,
        wire('[{"op":"add","path":"/__proto__/polluted","value":"yes"}]'),
        configmaps,
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(422);
  });
});

describe('server-side apply walks', () => {
  const shape = rootShape(configmaps);

  it('merges a configuration with "__proto__" members as data', () => {
    const live = wire(
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"a":"1"}}',
    );
    const config = wire(
      '{"data":{"__proto__":"v","constructor":"w"},"__proto__":{"polluted":"yes"}}',
    );
    const merged = mergeValues(live, config, shape) as Record<string, unknown>;
    expectClean(merged);
    expect(JSON.stringify(merged.data)).toBe('{"a":"1","__proto__":"v","constructor":"w"}');
    expect(hasOwn(merged, '__proto__')).toBe(true);
    const fields = fieldSetOf(config, shape)
      .paths()
      .map((p) => p.join('.'));
    expect(fields).toEqual(expect.arrayContaining(['f:data.f:__proto__', 'f:data.f:constructor']));
  });

  it('sees members named like inherited ones as added and removed', () => {
    const before = wire('{"data":{"a":"1"}}');
    const after = wire('{"data":{"a":"1","constructor":"x","__proto__":"y"}}');
    const added = compareValues(before, after, shape)
      .added.paths()
      .map((p) => p.join('.'));
    expect(added).toEqual(expect.arrayContaining(['f:data.f:constructor', 'f:data.f:__proto__']));
    const removed = compareValues(after, before, shape)
      .removed.paths()
      .map((p) => p.join('.'));
    expect(removed).toEqual(expect.arrayContaining(['f:data.f:constructor', 'f:data.f:__proto__']));
  });

  it('removes a "__proto__" member it is told to remove, and only that', () => {
    const value = wire('{"data":{"__proto__":"v","b":"2"}}');
    const remove = fieldSetOf(wire('{"data":{"__proto__":"v"}}'), shape);
    const out = removeFields(value, shape, remove, fieldSetOf({}, shape));
    expect(JSON.stringify(out)).toBe('{"data":{"b":"2"}}');
    expectClean(out);
  });
});

describe('defaults, validation and unknown fields', () => {
  it('reports "constructor" and "__proto__" as unknown fields instead of failing', () => {
    const pod = wire<KubeObject>(
      '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"constructor":1,' +
        '"spec":{"toString":2,"__proto__":{"x":1},"containers":[{"name":"c","image":"i","valueOf":3}]}}',
    );
    expect(unknownFieldPaths(pods, pod).sort()).toEqual([
      'constructor',
      'spec.__proto__',
      'spec.containers[0].valueOf',
      'spec.toString',
    ]);
  });

  it('defaults a request for a resource named "constructor" from its limit', () => {
    const pod = wire<KubeObject>(
      '{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i",' +
        '"resources":{"limits":{"constructor":"1","__proto__":"2"}}}]}}',
    );
    applyDefaults(pods, pod);
    const c = (pod.spec as { containers: { resources: { requests: object } }[] }).containers[0];
    expect(JSON.stringify(c.resources.requests)).toBe('{"constructor":"1","__proto__":"2"}');
    expectClean(pod);
  });

  it('validates a Deployment whose labels and selector use such names', () => {
    const d = wire<KubeObject>(
      '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"default",' +
        '"labels":{"constructor":"a"}},"spec":{"selector":{"matchLabels":{"constructor":"a"}},' +
        '"template":{"metadata":{"labels":{"constructor":"a"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}',
    );
    applyDefaults(deployments, d);
    expect(() => validateCreate(deployments, d)).not.toThrow();
  });

  it('refuses "__proto__" as a label key with 422, as its name part is not a valid name', () => {
    const cm = wire<KubeObject>(
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"default","labels":{"__proto__":"a"}}}',
    );
    let err: unknown;
    try {
      validateCreate(configmaps, cm);
    } catch (e) {
      err = e;
    }
    expect((err as ApiError).code).toBe(422);
  });
});

describe('selectors and paths', () => {
  it('a label selector on "constructor" matches only objects that have that label', () => {
    const sel = labelSelectorFromObject({
      matchExpressions: [{ key: 'constructor', operator: 'Exists' }],
    });
    expect(matchesLabels(sel, {})).toBe(false);
    expect(matchesLabels(sel, { constructor: 'x' })).toBe(true);
  });

  it('getPath reads own members only', () => {
    expect(getPath({ spec: {} }, 'spec.constructor')).toBeUndefined();
    expect(getPath({}, '__proto__')).toBeUndefined();
  });

  it('jsonEqual does not take an inherited member for an own one', () => {
    expect(jsonEqual(wire('{"__proto__":{}}'), { x: {} })).toBe(false);
    expect(jsonEqual(wire('{"constructor":{}}'), { x: {} })).toBe(false);
    expect(jsonEqual(wire('{"__proto__":{}}'), wire('{"__proto__":{}}'))).toBe(true);
  });

  it('canonical JSON spells "__proto__" members', () => {
    expect(canonicalJson(wire('{"__proto__":1,"a":2}'))).toBe('{"__proto__":1,"a":2}');
  });
});

describe('protobuf decoding', () => {
  it('keeps map keys "__proto__" and "constructor" as data', () => {
    const cm = wire(
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","labels":{"constructor":"a"}},' +
        '"data":{"__proto__":"v","constructor":"w"}}',
    );
    const decoded = decodeKubernetesProtobuf(encodeKubernetesProtobuf(cm));
    expectClean(decoded);
    expect(JSON.stringify(decoded.data)).toBe('{"__proto__":"v","constructor":"w"}');
    expect(JSON.stringify((decoded.metadata as Record<string, unknown>).labels)).toBe(
      '{"constructor":"a"}',
    );
  });
});
