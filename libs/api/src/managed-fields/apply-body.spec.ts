import { findResource } from '../catalog';
import { ApiError } from '../status';
import { checkAppliedConfig, parseApplyBody } from './apply-body';

const configmaps = findResource('', 'v1', 'configmaps')!;

function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(400);
    return (err as ApiError).message;
  }
  throw new Error('expected a 400');
}

describe('parseApplyBody', () => {
  it.each([
    ['{"apiVersion":"v1","kind":"ConfigMap"}', { apiVersion: 'v1', kind: 'ConfigMap' }],
    [
      'apiVersion: v1\nkind: ConfigMap\ndata: {a: "1"}',
      { apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } },
    ],
    [
      'data:\n  when: 2001-12-14\n  mode: 0777\n  on: yes',
      { data: { when: '2001-12-14', mode: 511, true: true } },
    ],
    ['', {}],
  ])('reads %j', (text, value) => {
    expect(parseApplyBody(Buffer.from(text))).toEqual(value);
  });

  it.each([
    ['kind: [ConfigMap', 'error decoding YAML: '],
    ['a: 1\na: 2', 'error decoding YAML: Map keys must be unique'],
    ['- a\n- b', 'error decoding YAML: the document is a list'],
    ['just text', 'error decoding YAML: the document is a string'],
    ['a: 1\n---\nb: 2', 'error decoding YAML: Source contains multiple documents'],
  ])('refuses %j', (text, message) => {
    expect(badRequest(() => parseApplyBody(Buffer.from(text)))).toContain(message);
  });
});

describe('checkAppliedConfig', () => {
  const url = { namespace: 'default', name: 'c' };
  const ok = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };

  it('accepts a configuration of the kind, named as the URL (or unnamed for an existing object)', () => {
    expect(() => checkAppliedConfig(configmaps, ok, url, true)).not.toThrow();
    expect(() =>
      checkAppliedConfig(configmaps, { apiVersion: 'v1', kind: 'ConfigMap' }, url, false),
    ).not.toThrow();
  });

  it.each([
    [{ ...ok, kind: 'Secret' }, false, 'invalid object type: /v1, Kind=Secret'],
    [{ ...ok, apiVersion: 'apps/v1' }, false, 'invalid object type: apps/v1, Kind=ConfigMap'],
    [{ metadata: { name: 'c' } }, false, 'invalid object type: /, Kind='],
    [
      { ...ok, metadata: { name: 'd' } },
      false,
      'the name of the object (d) does not match the name on the URL (c)',
    ],
    [
      { apiVersion: 'v1', kind: 'ConfigMap' },
      true,
      'the name of the object () does not match the name on the URL (c)',
    ],
    [
      { ...ok, metadata: { name: 'c', namespace: 'other' } },
      false,
      'the namespace of the provided object does not match the namespace sent on the request',
    ],
    [
      { ...ok, metadata: { name: 'c', managedFields: [] } },
      false,
      'metadata.managedFields must be nil',
    ],
  ])('refuses %j', (config, creating, message) => {
    expect(badRequest(() => checkAppliedConfig(configmaps, config, url, creating))).toBe(message);
  });
});
