// Validation of metadata shared by every kind (ValidateObjectMeta in Kubernetes).
import type { ResourceInfo } from './catalog';
import { fieldErrors } from './field-errors';
import type { KubeObject } from './object';
import { isPlainObject } from './object';
import { kindModuleOf } from './kinds/registry';
import { nameProblems } from './names';
import { labelKeyProblem, labelValueProblem } from './selectors';
import type { StatusCause } from './status';

const TOTAL_ANNOTATION_BYTES = 256 * 1024;

export function validateLabels(labels: unknown, field: string, out: StatusCause[]): void {
  if (labels === undefined || labels === null) return;
  if (!isPlainObject(labels)) {
    out.push(fieldErrors.invalid(field, labels, 'must be a map of string keys to string values'));
    return;
  }
  for (const [key, value] of Object.entries(labels)) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) out.push(fieldErrors.invalid(field, key, keyProblem));
    if (typeof value !== 'string') {
      out.push(fieldErrors.invalid(`${field}.${key}`, value, 'must be a string'));
      continue;
    }
    const valueProblem = labelValueProblem(value);
    if (valueProblem) out.push(fieldErrors.invalid(field, value, valueProblem));
  }
}

function validateAnnotations(annotations: unknown, out: StatusCause[]): void {
  if (annotations === undefined || annotations === null) return;
  if (!isPlainObject(annotations)) {
    out.push(
      fieldErrors.invalid(
        'metadata.annotations',
        annotations,
        'must be a map of string keys to string values',
      ),
    );
    return;
  }
  let total = 0;
  for (const [key, value] of Object.entries(annotations)) {
    const keyProblem = labelKeyProblem(key.toLowerCase());
    if (keyProblem) out.push(fieldErrors.invalid('metadata.annotations', key, keyProblem));
    total += key.length + (typeof value === 'string' ? value.length : 0);
  }
  if (total > TOTAL_ANNOTATION_BYTES)
    out.push(fieldErrors.tooLong('metadata.annotations', TOTAL_ANNOTATION_BYTES));
}

function validateOwnerReferences(refs: unknown, out: StatusCause[]): void {
  if (!Array.isArray(refs)) return;
  let controllers = 0;
  const field = 'metadata.ownerReferences';
  for (const ref of refs) {
    if (!isPlainObject(ref)) continue;
    if (!ref.apiVersion)
      out.push(fieldErrors.invalid(`${field}.apiVersion`, '', 'version must not be empty'));
    if (!ref.kind) out.push(fieldErrors.invalid(`${field}.kind`, '', 'kind must not be empty'));
    if (!ref.name) out.push(fieldErrors.invalid(`${field}.name`, '', 'name must not be empty'));
    if (!ref.uid) out.push(fieldErrors.invalid(`${field}.uid`, '', 'uid must not be empty'));
    if (ref.controller === true) controllers++;
  }
  if (controllers > 1) {
    out.push(
      fieldErrors.invalid(
        'metadata.ownerReferences',
        refs,
        'Only one reference can have Controller set to true',
      ),
    );
  }
}

function validateFinalizers(finalizers: unknown, out: StatusCause[]): void {
  if (!Array.isArray(finalizers)) return;
  finalizers.forEach((f, i) => {
    const problem = typeof f === 'string' ? labelKeyProblem(f) : 'must be a string';
    if (problem) out.push(fieldErrors.invalid(`metadata.finalizers[${i}]`, f, problem));
  });
}

/** Causes for metadata; the name is checked against the kind's rule (generateName as a prefix). */
export function validateObjectMeta(r: ResourceInfo, o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const meta = o.metadata;
  // Namespaces are DNS labels, services DNS-1035 labels, the rest subdomains (the kind says).
  const rule = kindModuleOf(r)?.nameRule ?? 'dns1123-subdomain';
  if (!meta.name) {
    if (!meta.generateName) {
      out.push(fieldErrors.required('metadata.name', 'name or generateName is required'));
    } else {
      // A generated name ends with random letters, so the prefix may end in '-'.
      const prefix = meta.generateName.replace(/-+$/, '');
      for (const p of prefix ? nameProblems(prefix, rule) : []) {
        out.push(fieldErrors.invalid('metadata.generateName', meta.generateName, p));
      }
    }
  } else {
    for (const p of nameProblems(meta.name, rule))
      out.push(fieldErrors.invalid('metadata.name', meta.name, p));
  }
  if (r.namespaced) {
    if (!meta.namespace) out.push(fieldErrors.required('metadata.namespace'));
    else
      for (const p of nameProblems(meta.namespace, 'dns1123-label')) {
        out.push(fieldErrors.invalid('metadata.namespace', meta.namespace, p));
      }
  } else if (meta.namespace) {
    out.push(fieldErrors.forbidden('metadata.namespace', 'not allowed on this type'));
  }
  validateLabels(meta.labels, 'metadata.labels', out);
  validateAnnotations(meta.annotations, out);
  validateOwnerReferences(meta.ownerReferences, out);
  validateFinalizers(meta.finalizers, out);
  return out;
}

/** Identity fields that no update may change (ValidateObjectMetaUpdate). */
export function validateObjectMetaUpdate(next: KubeObject, prev: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const immutable: (keyof KubeObject['metadata'])[] = [
    'name',
    'namespace',
    'uid',
    'creationTimestamp',
  ];
  for (const key of immutable) {
    const before = prev.metadata[key];
    const after = next.metadata[key];
    if (before !== undefined && after !== before) {
      out.push(fieldErrors.invalid(`metadata.${key}`, after ?? '', 'field is immutable'));
    }
  }
  return out;
}
