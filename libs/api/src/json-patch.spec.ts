import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  applyJsonPatch,
  JsonPatchError,
  MAX_JSON_PATCH_COPY_BYTES,
  MAX_JSON_PATCH_OPERATIONS,
} from './json-patch';
import { canonicalJson } from './managed-fields/field-set';

interface PatchCase {
  name: string;
  rfc: string;
  doc: unknown;
  patch: unknown;
  result?: unknown;
  error?: 400 | 413 | 422;
}

const cases = (
  JSON.parse(readFileSync(join(__dirname, 'testdata', 'json-patch-rfc6902.json'), 'utf8')) as {
    cases: PatchCase[];
  }
).cases;

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof JsonPatchError) return err.status;
    throw err;
  }
  return undefined;
}

describe('RFC 6902 JSON Patch (testdata/json-patch-rfc6902.json)', () => {
  it.each(cases.map((c) => [`${c.name} (${c.rfc})`, c] as const))('%s', (_name, c) => {
    const before = canonicalJson(c.doc);
    if (c.error !== undefined) {
      expect(statusOf(() => applyJsonPatch(c.doc, c.patch))).toBe(c.error);
    } else {
      const out = applyJsonPatch(c.doc, c.patch);
      // Canonical text compares "__proto__" members as the data they are.
      expect(canonicalJson(out)).toBe(canonicalJson(c.result));
    }
    // The patch works on a copy: the original document is never changed, even by a failure.
    expect(canonicalJson(c.doc)).toBe(before);
  });
});

describe('JSON patch and prototypes', () => {
  afterEach(() => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
  });

  it('never follows "__proto__" into Object.prototype', () => {
    for (const path of [
      '/__proto__/polluted',
      '/a/__proto__/polluted',
      '/l/0/__proto__/polluted',
    ]) {
      const doc = JSON.parse('{"a":{},"l":[{}]}');
      expect(statusOf(() => applyJsonPatch(doc, [{ op: 'add', path, value: 'yes' }]))).toBe(422);
    }
  });

  it('never follows "constructor" or "prototype" into Object', () => {
    const doc = { a: {} };
    for (const path of ['/constructor/prototype/polluted', '/a/constructor/prototype/polluted']) {
      expect(statusOf(() => applyJsonPatch(doc, [{ op: 'add', path, value: 'yes' }]))).toBe(422);
      expect(statusOf(() => applyJsonPatch(doc, [{ op: 'replace', path, value: 'yes' }]))).toBe(
        422,
      );
    }
    expect(statusOf(() => applyJsonPatch(doc, [{ op: 'remove', path: '/a/toString' }]))).toBe(422);
    expect(
      statusOf(() => applyJsonPatch(doc, [{ op: 'copy', from: '/constructor', path: '/x' }])),
    ).toBe(422);
  });

  it('keeps a "__proto__" member as data: it is written, read, replaced and removed as one', () => {
    let doc = applyJsonPatch({}, [{ op: 'add', path: '/__proto__', value: { polluted: 'yes' } }]);
    const obj = doc as Record<string, unknown>;
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect(obj.polluted).toBeUndefined();
    expect(Object.keys(obj)).toEqual(['__proto__']);
    doc = applyJsonPatch(doc, [
      { op: 'test', path: '/__proto__/polluted', value: 'yes' },
      { op: 'add', path: '/__proto__/more', value: 1 },
      { op: 'copy', from: '/__proto__', path: '/copy' },
    ]);
    expect(JSON.stringify(doc)).toBe(
      '{"__proto__":{"polluted":"yes","more":1},"copy":{"polluted":"yes","more":1}}',
    );
    doc = applyJsonPatch(doc, [{ op: 'remove', path: '/__proto__' }]);
    expect(JSON.stringify(doc)).toBe('{"copy":{"polluted":"yes","more":1}}');
  });
});

describe('JSON patch bounds (as Kubernetes sets them)', () => {
  it(`refuses more than ${MAX_JSON_PATCH_OPERATIONS} operations with 413`, () => {
    const op = { op: 'test', path: '/a', value: 1 };
    expect(
      statusOf(() => applyJsonPatch({ a: 1 }, Array(MAX_JSON_PATCH_OPERATIONS).fill(op))),
    ).toBe(undefined);
    expect(
      statusOf(() => applyJsonPatch({ a: 1 }, Array(MAX_JSON_PATCH_OPERATIONS + 1).fill(op))),
    ).toBe(413);
  });

  it('stops copies that double the document before they exhaust memory', () => {
    // Sixty doublings of 1 KiB would be an exabyte; the limit stops it after a few megabytes.
    const patch = Array.from({ length: 60 }, () => ({ op: 'copy', from: '/a', path: '/a/-' }));
    const doc = { a: ['x'.repeat(1024)] };
    let err: unknown;
    try {
      applyJsonPatch(doc, patch);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JsonPatchError);
    expect((err as JsonPatchError).status).toBe(422);
    expect((err as JsonPatchError).message).toContain(
      `exceeding the limit ${MAX_JSON_PATCH_COPY_BYTES}`,
    );
  });
});
