import { cloneJson } from './object';

/** What cloneJson promises: the value a JSON round trip would give. */
const roundTrip = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;

describe('cloneJson', () => {
  it.each([
    [
      'an object with undefined, functions and symbols',
      { a: 1, b: undefined, f: () => 1, s: Symbol('s') },
    ],
    ['arrays with holes of every kind', [undefined, () => 1, Symbol('s'), NaN, Infinity, -0, 1e21]],
    ['dates and other toJSON values', { at: new Date(0), nested: [{ at: new Date(1) }] }],
    ['scalars', 'text'],
    ['null', null],
    [
      'a Kubernetes object',
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'a', labels: { x: 'y' } },
        data: { k: 'é' },
      },
    ],
  ])('equals a JSON round trip for %s', (_what, value) => {
    expect(cloneJson(value)).toEqual(roundTrip(value));
    expect(JSON.stringify(cloneJson(value))).toBe(JSON.stringify(roundTrip(value)));
  });

  it('copies deeply: changing the copy leaves the original alone', () => {
    const original = { metadata: { labels: { a: '1' } }, items: [{ n: 1 }] };
    const copy = cloneJson(original);
    copy.metadata.labels.a = '2';
    copy.items[0].n = 2;
    expect(original).toEqual({ metadata: { labels: { a: '1' } }, items: [{ n: 1 }] });
  });

  it('keeps a "__proto__" member as data, never as the prototype', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<
      string,
      unknown
    >;
    const copy = cloneJson(parsed) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'ok']);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
    expect(JSON.stringify(copy)).toBe(JSON.stringify(parsed));
  });

  it('refuses a bigint as JSON.stringify does', () => {
    expect(() => cloneJson({ n: BigInt(1) })).toThrow(TypeError);
  });

  it('leaves undefined alone', () => {
    expect(cloneJson(undefined)).toBeUndefined();
  });
});
