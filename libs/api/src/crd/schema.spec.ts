// Structural schemas of custom resources: validation with one cause per field, defaulting and
// pruning, as Kubernetes applies them to every write of a custom object.
import type { KubeObject } from '../object';
import { applyDefaults, prune } from './schema-pruning';
import type { JsonSchema } from './schema-types';
import { validateValue } from './schema-validation';
import { validateStructural } from './structural';
import { validateCustomObject } from './custom-kind';

const SPEC: JsonSchema = {
  type: 'object',
  required: ['color'],
  properties: {
    color: { type: 'string', enum: ['red', 'green'] },
    replicas: { type: 'integer', minimum: 0, maximum: 10, default: 1 },
    ratio: { type: 'number', exclusiveMinimum: true, minimum: 0 },
    size: { type: 'string', pattern: '^[0-9]+m$', maxLength: 4, minLength: 2 },
    when: { type: 'string', format: 'date-time' },
    port: { 'x-kubernetes-int-or-string': true },
    tags: {
      type: 'array',
      items: { type: 'string' },
      maxItems: 2,
      'x-kubernetes-list-type': 'set',
    },
    labels: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 1 },
    extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    note: { type: 'string', nullable: true },
    child: {
      type: 'object',
      'x-kubernetes-embedded-resource': true,
      properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } },
    },
    ports: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      items: {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string' }, protocol: { type: 'string', default: 'TCP' } },
      },
    },
  },
};
const ROOT: JsonSchema = { type: 'object', properties: { spec: SPEC } };

const messages = (v: unknown) =>
  validateValue(SPEC, v, 'spec').map((c) => `${c.field}: ${c.message}`);

describe('custom resource schema validation', () => {
  it('accepts a valid object', () => {
    expect(
      messages({
        color: 'red',
        replicas: 3,
        ratio: 0.5,
        size: '10m',
        when: '2024-01-02T03:04:05Z',
        port: 'http',
        tags: ['a', 'b'],
        labels: { a: 'b' },
        extra: { anything: { goes: [1] } },
        note: null,
        child: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
        ports: [{ name: 'a' }, { name: 'b' }],
      }),
    ).toEqual([]);
  });

  it('reports one cause per field, worded as Kubernetes words them', () => {
    expect(
      messages({
        replicas: 11,
        ratio: 0,
        size: 'x',
        when: 'yesterday',
        port: 1.5,
        tags: ['a', 'a'],
        labels: { a: 'b', c: 'd' },
        child: { metadata: {} },
        ports: [{ name: 'a' }, { name: 'a' }],
      }),
    ).toEqual([
      'spec.color: Required value',
      'spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10',
      'spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0',
      'spec.size: Invalid value: "x": spec.size in body should be at least 2 chars long',
      `spec.size: Invalid value: "x": spec.size in body should match '^[0-9]+m$'`,
      'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
      'spec.port: Invalid value: "number": spec.port in body must be of type integer,string: "number"',
      'spec.tags[1]: Duplicate value: "a"',
      'spec.labels: Too many: 2: must have at most 1 items',
      'spec.child.apiVersion: Required value: must not be empty',
      'spec.child.kind: Required value: must not be empty',
      'spec.ports[1]: Duplicate value: {"name":"a"}',
    ]);
  });

  it('checks types, enums and nulls', () => {
    expect(messages({ color: 'pink', replicas: 'three', note: null, size: null })).toEqual([
      'spec.color: Unsupported value: "pink": supported values: "red", "green"',
      'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
      'spec.size: Invalid value: "null": spec.size in body must be of type string: "null"',
    ]);
  });

  it('validates a whole object without its metadata', () => {
    const o: KubeObject = {
      apiVersion: 'example.com/v1',
      kind: 'W',
      metadata: { name: 'x' },
      spec: {},
    };
    expect(validateCustomObject(ROOT, o).map((c) => c.field)).toEqual(['spec.color']);
  });
});

describe('pruning and defaulting', () => {
  it('drops unknown fields, keeps preserved ones and the object fields', () => {
    const o = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: {
        color: 'red',
        colour: 'oops',
        extra: { free: { form: true } },
        child: {
          apiVersion: 'v1',
          kind: 'X',
          metadata: { name: 'c' },
          spec: { a: 'x', b: 'y' },
          junk: 1,
        },
        ports: [{ name: 'a', bogus: 1 }],
      },
      topLevel: 1,
    };
    const dropped = prune(ROOT, o);
    expect(dropped.sort()).toEqual([
      'spec.child.junk',
      'spec.child.spec.b',
      'spec.colour',
      'spec.ports[0].bogus',
      'topLevel',
    ]);
    expect(o.spec.extra).toEqual({ free: { form: true } });
    expect(o.spec.child).toEqual({
      apiVersion: 'v1',
      kind: 'X',
      metadata: { name: 'c' },
      spec: { a: 'x' },
    });
  });

  it('fills defaults, in list items too, and replaces nulls of non-nullable fields', () => {
    const o: Record<string, unknown> = {
      spec: { color: 'red', replicas: null, ports: [{ name: 'a' }], note: null },
    };
    applyDefaults(ROOT, o);
    expect(o.spec).toEqual({
      color: 'red',
      replicas: 1,
      ports: [{ name: 'a', protocol: 'TCP' }],
      note: null,
    });
  });

  it('does not default inside an absent parent', () => {
    const o: Record<string, unknown> = {};
    applyDefaults(ROOT, o);
    expect(o).toEqual({});
  });
});

describe('structural schema rules', () => {
  const path = 'spec.versions[0].schema.openAPIV3Schema';
  const check = (s: unknown) => validateStructural(s, path).map((c) => `${c.field}: ${c.message}`);

  it('accepts the rich schema', () => {
    expect(check(ROOT)).toEqual([]);
  });

  it('rejects missing types, properties beside additionalProperties, arrays without items', () => {
    expect(
      check({
        type: 'object',
        properties: {
          spec: { properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } },
          list: { type: 'array' },
          bad: { type: 'object', 'x-kubernetes-preserve-unknown-fields': false },
          any: { anyOf: [{ type: 'string' }] },
        },
      }),
    ).toEqual([
      `${path}.properties[spec].type: Required value: must not be empty for specified object fields`,
      `${path}.properties[spec].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
      `${path}.properties[list].items: Required value: must be specified`,
      `${path}.properties[bad].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`,
      `${path}.properties[any].type: Required value: must not be empty for specified object fields`,
      `${path}.properties[any].anyOf[0].type: Forbidden: must be empty to be structural`,
    ]);
  });

  it('wants an object at the root and defaults that pass the schema', () => {
    expect(check({ type: 'array', items: { type: 'string' } })).toContain(
      `${path}.type: Invalid value: "array": must be object at the root`,
    );
    expect(
      check({ type: 'object', properties: { n: { type: 'integer', minimum: 1, default: 0 } } }),
    ).toEqual([
      `${path}.properties[n].default: Invalid value: 0: ${path}.properties[n].default in body should be greater than or equal to 1`,
    ]);
  });
});
