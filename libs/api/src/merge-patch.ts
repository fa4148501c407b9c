// RFC 7386 JSON Merge Patch: objects merge member by member, null deletes, anything else replaces.
import { cloneJson, isPlainObject } from './object';
import { getOwn, setOwn } from './own-keys';

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  return mergeInto(cloneJson(target), patch);
}

/** `target` is already this call's own copy, so it is changed in place. */
function mergeInto(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return cloneJson(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? target : {};
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) delete out[key];
    else setOwn(out, key, mergeInto(getOwn(out, key), value));
  }
  return out;
}
