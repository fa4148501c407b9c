// RFC 6902 JSON Patch (add, remove, replace, move, copy, test) over plain JSON values.
import { cloneJson, isPlainObject, jsonEqual } from './object';

/** Why a patch could not be applied; the caller maps it to a Status (422 for apply failures, 400 for form). */
export class JsonPatchError extends Error {
  constructor(
    message: string,
    readonly malformed: boolean,
  ) {
    super(message);
  }
}

function parsePointer(pointer: unknown): string[] {
  if (typeof pointer !== 'string') throw new JsonPatchError('path must be a string', true);
  if (pointer === '') return [];
  if (!pointer.startsWith('/'))
    throw new JsonPatchError(`JSON pointer must start with "/": "${pointer}"`, false);
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

/** The parent container of the pointer's last token and that token. */
function locate(doc: unknown, tokens: string[], path: string): { parent: Container; key: string } {
  let cur = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) {
      const i = Number(token);
      if (!/^\d+$/.test(token) || i >= cur.length) throw missing(path);
      cur = cur[i];
    } else if (isPlainObject(cur)) {
      if (!(token in cur)) throw missing(path);
      cur = cur[token];
    } else {
      throw missing(path);
    }
  }
  if (!Array.isArray(cur) && !isPlainObject(cur)) throw missing(path);
  return { parent: cur, key: tokens[tokens.length - 1] };
}

function missing(path: string): JsonPatchError {
  return new JsonPatchError(`doc is missing path: "${path}": missing value`, false);
}

function arrayIndex(arr: unknown[], key: string, path: string, forInsert: boolean): number {
  if (forInsert && key === '-') return arr.length;
  const i = Number(key);
  const max = forInsert ? arr.length : arr.length - 1;
  if (!/^\d+$/.test(key) || i > max)
    throw new JsonPatchError(`Unable to access invalid index: ${key}`, false);
  return i;
}

function getAt(doc: unknown, path: string): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return doc;
  const { parent, key } = locate(doc, tokens, path);
  if (Array.isArray(parent)) return parent[arrayIndex(parent, key, path, false)];
  if (!(key in parent)) throw missing(path);
  return parent[key];
}

function addAt(doc: unknown, path: string, value: unknown): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = locate(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, path, true), 0, value);
  else parent[key] = value;
  return doc;
}

function removeAt(doc: unknown, path: string): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw new JsonPatchError('cannot remove the whole document', false);
  const { parent, key } = locate(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, path, false), 1);
  else {
    if (!(key in parent))
      throw new JsonPatchError(
        `remove operation does not apply: doc is missing path: "${path}"`,
        false,
      );
    delete parent[key];
  }
  return doc;
}

export function applyJsonPatch(document: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) {
    throw new JsonPatchError(
      'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
      true,
    );
  }
  let doc = cloneJson(document);
  patch.forEach((op) => {
    if (!isPlainObject(op))
      throw new JsonPatchError(
        'json: cannot unmarshal non-object into Go value of type jsonpatch.Operation',
        true,
      );
    const path = op.path as string;
    switch (op.op) {
      case 'add':
        if (!('value' in op)) throw new JsonPatchError('add operation missing value', false);
        doc = addAt(doc, path, cloneJson(op.value));
        break;
      case 'remove':
        doc = removeAt(doc, path);
        break;
      case 'replace': {
        if (!('value' in op)) throw new JsonPatchError('replace operation missing value', false);
        getAt(doc, path);
        const tokens = parsePointer(path);
        if (tokens.length === 0) doc = cloneJson(op.value);
        else {
          const { parent, key } = locate(doc, tokens, path);
          if (Array.isArray(parent))
            parent[arrayIndex(parent, key, path, false)] = cloneJson(op.value);
          else parent[key] = cloneJson(op.value);
        }
        break;
      }
      case 'move': {
        const from = op.from as string;
        if (typeof from !== 'string')
          throw new JsonPatchError('move operation missing from', false);
        const value = getAt(doc, from);
        doc = removeAt(doc, from);
        doc = addAt(doc, path, value);
        break;
      }
      case 'copy': {
        const from = op.from as string;
        if (typeof from !== 'string')
          throw new JsonPatchError('copy operation missing from', false);
        doc = addAt(doc, path, cloneJson(getAt(doc, from)));
        break;
      }
      case 'test': {
        let actual: unknown;
        try {
          actual = getAt(doc, path);
        } catch {
          actual = undefined;
        }
        if (!jsonEqual(actual, op.value ?? null))
          throw new JsonPatchError(`testing value ${path} failed: test failed`, false);
        break;
      }
      default:
        throw new JsonPatchError(`Unexpected kind: ${String(op.op)}`, false);
    }
  });
  return doc;
}

/** RFC 7386: objects merge recursively, null deletes, everything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return cloneJson(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? cloneJson(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}
