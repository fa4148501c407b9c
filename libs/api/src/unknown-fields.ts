// Fields an object carries that its kind's schema does not know, as fieldValidation=Strict/Warn reports them.
import type { ResourceInfo } from './catalog';
import type { KubeObject } from './object';
import { isPlainObject } from './object';
import { lookup } from './own-keys';
import { definitionForKind, definitionNamed } from './schemas';
import { apiErrors } from './status';
import type { ApiError } from './status';

function walkType(type: string, value: unknown, path: string, out: string[], depth: number): void {
  if (depth > 64 || value === null || value === undefined) return;
  if (type.startsWith('[]')) {
    if (Array.isArray(value))
      value.forEach((v, i) => walkType(type.slice(2), v, `${path}[${i}]`, out, depth + 1));
    return;
  }
  if (type.startsWith('map:')) {
    if (isPlainObject(value)) {
      for (const [k, v] of Object.entries(value))
        walkType(type.slice(4), v, `${path}.${k}`, out, depth + 1);
    }
    return;
  }
  if (type.startsWith('#')) walkDefinition(type.slice(1), value, path, out, depth + 1);
}

function walkDefinition(
  name: string,
  value: unknown,
  path: string,
  out: string[],
  depth: number,
): void {
  const def = definitionNamed(name);
  if (!def || !isPlainObject(value)) return;
  for (const [key, v] of Object.entries(value)) {
    const child = path ? `${path}.${key}` : key;
    const type = lookup(def.fields, key);
    if (type === undefined) {
      if (!def.preserveUnknown) out.push(child);
    } else walkType(type, v, child, out, depth);
  }
}

/** Paths such as "spec.replica" or "spec.template.spec.containers[0].imagee"; [] for unmodelled kinds. */
export function unknownFieldPaths(r: ResourceInfo, obj: KubeObject): string[] {
  const found = definitionForKind(r.group, r.version, r.kind);
  if (!found) return [];
  const out: string[] = [];
  walkDefinition(found[0], obj, '', out, 0);
  return out;
}

/** The 400 a Strict request gets, worded as Kubernetes' strict decoder words it. */
export function strictDecodingError(paths: string[]): ApiError {
  return apiErrors.badRequest(
    `strict decoding error: ${paths.map((p) => `unknown field "${p}"`).join(', ')}`,
  );
}

/** The Warning header texts a Warn request gets, one per field. */
export function unknownFieldWarnings(paths: string[]): string[] {
  return paths.map((p) => `unknown field "${p}"`);
}
