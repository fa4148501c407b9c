// Validation shared by several kinds (each kind's own is in its module under kinds/).
import { fieldErrors } from './field-errors';
import type { JsonObject, KubeObject } from './object';
import { isPlainObject, jsonEqual } from './object';
import { configKeyProblems } from './names';
import { labelSelectorFromObject, matchesLabels } from './selectors';
import type { StatusCause } from './status';
import { isApiError } from './status';
import { validateLabels } from './validate-meta';
import { validatePodSpec } from './validate-pod';

export function nonNegative(value: unknown, field: string, out: StatusCause[]): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    out.push(fieldErrors.invalid(field, value, 'must be greater than or equal to 0'));
  }
}

export function entries(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.map((v) => (isPlainObject(v) ? v : {})) : [];
}

/** Shared by Deployment and ReplicaSet: selector, template labels, replicas, template pod spec. */
export function validateWorkload(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const spec = isPlainObject(o.spec) ? o.spec : {};
  nonNegative(spec.replicas, 'spec.replicas', out);
  nonNegative(spec.minReadySeconds, 'spec.minReadySeconds', out);
  const selector = spec.selector;
  const template = isPlainObject(spec.template) ? spec.template : undefined;
  if (!isPlainObject(selector)) {
    out.push(fieldErrors.required('spec.selector'));
  } else {
    const empty =
      Object.keys((selector.matchLabels as object | undefined) ?? {}).length === 0 &&
      entries(selector.matchExpressions).length === 0;
    if (empty)
      out.push(
        fieldErrors.invalid('spec.selector', selector, 'empty selector is invalid for deployment'),
      );
    validateLabels(selector.matchLabels, 'spec.selector.matchLabels', out);
    if (!empty && template) {
      const templateLabels = isPlainObject(template.metadata)
        ? template.metadata.labels
        : undefined;
      try {
        const sel = labelSelectorFromObject(
          selector as Parameters<typeof labelSelectorFromObject>[0],
        );
        if (!matchesLabels(sel, templateLabels as Record<string, string> | undefined)) {
          out.push(
            fieldErrors.invalid(
              'spec.template.metadata.labels',
              templateLabels ?? {},
              '`selector` does not match template `labels`',
            ),
          );
        }
      } catch (err) {
        if (!isApiError(err)) throw err;
        out.push(fieldErrors.invalid('spec.selector', selector, err.message));
      }
    }
  }
  if (!template) {
    out.push(fieldErrors.required('spec.template'));
    return out;
  }
  if (isPlainObject(template.metadata))
    validateLabels(template.metadata.labels, 'spec.template.metadata.labels', out);
  out.push(...validatePodSpec(template.spec, 'spec.template.spec'));
  const restart = isPlainObject(template.spec) ? template.spec.restartPolicy : undefined;
  if (restart !== undefined && restart !== 'Always') {
    out.push(fieldErrors.notSupported('spec.template.spec.restartPolicy', restart, ['Always']));
  }
  return out;
}

export function validateDataKeys(o: KubeObject, fields: string[]): StatusCause[] {
  const out: StatusCause[] = [];
  const seen = new Set<string>();
  for (const field of fields) {
    const data = o[field];
    if (data === undefined || data === null) continue;
    if (!isPlainObject(data)) {
      out.push(fieldErrors.invalid(field, data, 'must be a map'));
      continue;
    }
    for (const key of Object.keys(data)) {
      for (const p of configKeyProblems(key)) out.push(fieldErrors.invalid(field, key, p));
      if (field !== 'stringData' && seen.has(key))
        out.push(fieldErrors.duplicate(`${field}[${key}]`, key));
      seen.add(key);
    }
  }
  return out;
}

/** An immutable ConfigMap or Secret keeps its data (and stays immutable). */
export function validateImmutableData(
  next: KubeObject,
  prev: KubeObject,
  fields: string[],
): StatusCause[] {
  if (prev.immutable !== true) return [];
  const out: StatusCause[] = [];
  if (next.immutable !== true)
    out.push(fieldErrors.forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) {
    if (!jsonEqual(prev[f] ?? {}, next[f] ?? {}))
      out.push(fieldErrors.forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return out;
}

/** A workload's selector is fixed once created (apps/v1). */
export function validateSelectorUpdate(next: KubeObject, prev: KubeObject): StatusCause[] {
  const before = isPlainObject(prev.spec) ? prev.spec.selector : undefined;
  const after = isPlainObject(next.spec) ? next.spec.selector : undefined;
  return jsonEqual(before, after)
    ? []
    : [fieldErrors.invalid('spec.selector', after ?? null, 'field is immutable')];
}
