// RFC 6902 JSON Patch (add, remove, replace, move, copy, test) over plain JSON values, with RFC 6901
// pointers. Member names are data: a pointer token "__proto__" names a member, never a prototype.
import { cloneJson, isPlainObject, jsonEqual } from './object';
import { hasOwn, setOwn } from './own-keys';

/** Kubernetes' limit on the operations of one JSON patch (413 beyond it). */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;
/** Kubernetes' default limit on what the copy operations of one patch may add, in JSON bytes. */
export const MAX_JSON_PATCH_COPY_BYTES = 3 * 1024 * 1024;

/**
 * Why a patch could not be applied, with the HTTP code Kubernetes answers: 400 when the patch is
 * not a list of operations, 413 when it has too many, 422 when an operation cannot be applied.
 */
export class JsonPatchError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 | 422,
  ) {
    super(message);
  }
}

const failed = (message: string) => new JsonPatchError(message, 422);

type Container = Record<string, unknown> | unknown[];

/** Marks a location that holds nothing (JSON has no undefined, so it cannot be a value). */
const MISSING = Symbol('missing');

/** The reference tokens of a pointer: "~1" stands for "/" and "~0" for "~", decoded in that order. */
function parsePointer(pointer: unknown, member: 'path' | 'from'): string[] {
  if (typeof pointer !== 'string') throw failed(`operation missing ${member} field`);
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw failed(`JSON pointer must start with "/": "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** An array index token: digits without leading zeros (RFC 6901); undefined for anything else. */
function indexOf(token: string): number | undefined {
  return /^(0|[1-9][0-9]*)$/.test(token) ? Number(token) : undefined;
}

function childOf(value: unknown, token: string): unknown {
  if (Array.isArray(value)) {
    const i = indexOf(token);
    return i !== undefined && i < value.length ? value[i] : MISSING;
  }
  if (isPlainObject(value)) return hasOwn(value, token) ? value[token] : MISSING;
  return MISSING;
}

function missing(path: string): JsonPatchError {
  return failed(`doc is missing path: "${path}": missing value`);
}

/** The container that holds the pointer's last token. */
function parentOf(doc: unknown, tokens: string[], path: string): Container {
  let cur = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    cur = childOf(cur, tokens[i]);
    if (cur === MISSING) throw missing(path);
  }
  if (!Array.isArray(cur) && !isPlainObject(cur)) throw missing(path);
  return cur;
}

function valueAt(doc: unknown, tokens: string[], path: string): unknown {
  let cur = doc;
  for (const token of tokens) {
    cur = childOf(cur, token);
    if (cur === MISSING) throw missing(path);
  }
  return cur;
}

function existingIndex(arr: unknown[], key: string): number {
  const i = indexOf(key);
  if (i === undefined || i >= arr.length) throw failed(`Unable to access invalid index: ${key}`);
  return i;
}

function add(doc: unknown, tokens: string[], path: string, value: unknown): unknown {
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, path);
  const key = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : indexOf(key);
    if (i === undefined || i > parent.length)
      throw failed(`Unable to access invalid index: ${key}`);
    parent.splice(i, 0, value);
  } else setOwn(parent, key, value);
  return doc;
}

function remove(doc: unknown, tokens: string[], path: string): unknown {
  if (tokens.length === 0) throw failed('unable to remove the whole document');
  const parent = parentOf(doc, tokens, path);
  const key = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent.splice(existingIndex(parent, key), 1);
  else if (hasOwn(parent, key)) delete parent[key];
  else throw failed(`remove operation does not apply: doc is missing path: "${path}"`);
  return doc;
}

function replace(doc: unknown, tokens: string[], path: string, value: unknown): unknown {
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, path);
  const key = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent[existingIndex(parent, key)] = value;
  else if (hasOwn(parent, key)) setOwn(parent, key, value);
  else throw failed(`replace operation does not apply: doc is missing key: ${path}`);
  return doc;
}

function requireValue(op: Record<string, unknown>, kind: string): unknown {
  if (!hasOwn(op, 'value')) throw failed(`${kind} operation missing value`);
  return op.value;
}

/** Applies the operations in order to a copy of `document`; any failure leaves nothing applied. */
export function applyJsonPatch(document: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) {
    throw new JsonPatchError(
      'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
      400,
    );
  }
  if (!patch.every(isPlainObject)) {
    throw new JsonPatchError(
      'json: cannot unmarshal array into Go value of type jsonpatch.Operation',
      400,
    );
  }
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new JsonPatchError(
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`,
      413,
    );
  }
  let doc = cloneJson(document);
  let copied = 0;
  for (const op of patch as Record<string, unknown>[]) {
    const path = op.path as string;
    switch (op.op) {
      case 'add':
        doc = add(doc, parsePointer(op.path, 'path'), path, cloneJson(requireValue(op, 'add')));
        break;
      case 'remove':
        doc = remove(doc, parsePointer(op.path, 'path'), path);
        break;
      case 'replace':
        doc = replace(
          doc,
          parsePointer(op.path, 'path'),
          path,
          cloneJson(requireValue(op, 'replace')),
        );
        break;
      case 'move': {
        const from = parsePointer(op.from, 'from');
        const to = parsePointer(op.path, 'path');
        if (from.length < to.length && from.every((t, i) => t === to[i]))
          throw failed(`move operation cannot move "${String(op.from)}" into its own child`);
        const value = valueAt(doc, from, op.from as string);
        doc = remove(doc, from, op.from as string);
        doc = add(doc, to, path, value);
        break;
      }
      case 'copy': {
        const value = valueAt(doc, parsePointer(op.from, 'from'), op.from as string);
        // Each copy can double the document: bound what copies add, as Kubernetes does.
        copied += JSON.stringify(value).length;
        if (copied > MAX_JSON_PATCH_COPY_BYTES) {
          throw failed(
            `Unable to complete the copy, the accumulated size increase of copy is ${copied}, exceeding the limit ${MAX_JSON_PATCH_COPY_BYTES}`,
          );
        }
        doc = add(doc, parsePointer(op.path, 'path'), path, cloneJson(value));
        break;
      }
      case 'test': {
        const tokens = parsePointer(op.path, 'path');
        let actual: unknown;
        try {
          actual = valueAt(doc, tokens, path);
        } catch {
          throw failed(`testing value ${path} failed: test failed`);
        }
        if (!jsonEqual(actual, hasOwn(op, 'value') ? op.value : null))
          throw failed(`testing value ${path} failed: test failed`);
        break;
      }
      default:
        throw failed(`Unexpected kind: ${String(op.op)}`);
    }
  }
  return doc;
}
