// Validation of a CustomResourceDefinition itself (apiextensions validation.go): its name, group,
// names, scope, versions (exactly one storage version), schemas, subresources and columns.
import { fieldErrors } from '../field-errors';
import { DNS1035_LABEL_MESSAGE, nameProblems } from '../names';
import { isPlainObject, type JsonObject, type KubeObject } from '../object';
import type { StatusCause } from '../status';
import { parseColumnPath } from './printer-columns';
import { validateStructural } from './structural';
import { celCompileErrors } from './cel-rules';

const SCOPES = ['Cluster', 'Namespaced'];
const COLUMN_TYPES = ['integer', 'number', 'string', 'boolean', 'date'];
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const KIND_LIKE = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
export const APPROVAL_ANNOTATION = 'api-approved.kubernetes.io';

const obj = (v: unknown): JsonObject => (isPlainObject(v) ? v : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function dns1035(value: unknown, field: string, out: StatusCause[]): void {
  const text = str(value);
  if (text.length > 63 || !DNS1035.test(text))
    out.push(fieldErrors.invalid(field, value, DNS1035_LABEL_MESSAGE));
}

function kindLike(value: string, field: string, out: StatusCause[]): void {
  if (!KIND_LIKE.test(value) || value.length > 63)
    out.push(
      fieldErrors.invalid(
        field,
        value,
        'may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?',
      ),
    );
}

function isProtected(group: string): boolean {
  return (
    group === 'k8s.io' ||
    group.endsWith('.k8s.io') ||
    group === 'kubernetes.io' ||
    group.endsWith('.kubernetes.io')
  );
}

export function validateCrd(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const spec = obj(o.spec);
  const names = obj(spec.names);
  const group = str(spec.group);
  const plural = str(names.plural);
  if (o.metadata.name !== `${plural}.${group}`) {
    out.push(
      fieldErrors.invalid(
        'metadata.name',
        o.metadata.name ?? '',
        'must be spec.names.plural+"."+spec.group',
      ),
    );
  }
  if (!group) out.push(fieldErrors.required('spec.group'));
  else {
    for (const p of nameProblems(group, 'dns1123-subdomain'))
      out.push(fieldErrors.invalid('spec.group', group, p));
    if (!group.includes('.'))
      out.push(
        fieldErrors.invalid('spec.group', group, 'should be a domain with at least one dot'),
      );
    if (isProtected(group) && !o.metadata.annotations?.[APPROVAL_ANNOTATION]) {
      out.push(
        fieldErrors.required(
          `metadata.annotations[${APPROVAL_ANNOTATION}]`,
          `protected groups must have approval annotation "${APPROVAL_ANNOTATION}", see https://github.com/kubernetes/enhancements/pull/1111`,
        ),
      );
    }
  }
  if (!spec.scope) out.push(fieldErrors.required('spec.scope'));
  else if (!SCOPES.includes(str(spec.scope)))
    out.push(fieldErrors.notSupported('spec.scope', spec.scope, SCOPES));
  validateNames(names, 'spec.names', out);
  const versions = validateVersions(spec, out);
  const conversion = obj(spec.conversion);
  if (conversion.strategy !== undefined && conversion.strategy !== 'None') {
    if (conversion.strategy === 'Webhook') {
      out.push(
        fieldErrors.forbidden(
          'spec.conversion.strategy',
          'webhook conversion is not supported by this server: use "None" (versions must share one schema shape)',
        ),
      );
    } else {
      out.push(
        fieldErrors.notSupported('spec.conversion.strategy', conversion.strategy, [
          'None',
          'Webhook',
        ]),
      );
    }
  }
  const stored = list(obj(o.status).storedVersions);
  stored.forEach((v, i) => {
    if (!versions.includes(str(v)))
      out.push(
        fieldErrors.invalid(`status.storedVersions[${i}]`, v, 'must appear in spec.versions'),
      );
  });
  return out;
}

function validateNames(names: JsonObject, path: string, out: StatusCause[]): void {
  if (!names.plural) out.push(fieldErrors.required(`${path}.plural`));
  else dns1035(names.plural, `${path}.plural`, out);
  if (names.singular) dns1035(names.singular, `${path}.singular`, out);
  if (!names.kind) out.push(fieldErrors.required(`${path}.kind`));
  else kindLike(str(names.kind), `${path}.kind`, out);
  if (names.listKind) {
    kindLike(str(names.listKind), `${path}.listKind`, out);
    if (names.listKind === names.kind)
      out.push(
        fieldErrors.invalid(
          `${path}.listKind`,
          names.listKind,
          'kind and listKind may not be the same or listKind may not be same as kind',
        ),
      );
  }
  list(names.shortNames).forEach((s, i) => dns1035(s, `${path}.shortNames[${i}]`, out));
  list(names.categories).forEach((s, i) => dns1035(s, `${path}.categories[${i}]`, out));
}

/** Checks spec.versions; returns the version names. */
function validateVersions(spec: JsonObject, out: StatusCause[]): string[] {
  const versions = list(spec.versions);
  if (versions.length === 0) {
    out.push(
      fieldErrors.invalid(
        'spec.versions',
        null,
        'must have exactly one version marked as storage version',
      ),
    );
    out.push(fieldErrors.required('spec.versions'));
    return [];
  }
  const seen: string[] = [];
  let storage = 0;
  versions.forEach((raw, i) => {
    const v = obj(raw);
    const path = `spec.versions[${i}]`;
    const name = str(v.name);
    if (!name) out.push(fieldErrors.required(`${path}.name`));
    else dns1035(name, `${path}.name`, out);
    if (seen.includes(name)) out.push(fieldErrors.duplicate(`${path}.name`, name));
    seen.push(name);
    if (v.storage === true) storage++;
    const schema = obj(v.schema).openAPIV3Schema;
    if (schema === undefined) {
      out.push(fieldErrors.required(`${path}.schema.openAPIV3Schema`, 'schemas are required'));
    } else {
      out.push(...validateStructural(schema, `${path}.schema.openAPIV3Schema`));
      out.push(...celCompileErrors(schema, `${path}.schema.openAPIV3Schema`));
    }
    validateSubresources(obj(v.subresources), `${path}.subresources`, out);
    list(v.additionalPrinterColumns).forEach((c, j) =>
      validateColumn(obj(c), `${path}.additionalPrinterColumns[${j}]`, out),
    );
  });
  if (storage !== 1)
    out.push(
      fieldErrors.invalid(
        'spec.versions',
        seen,
        'must have exactly one version marked as storage version',
      ),
    );
  return seen;
}

function validateSubresources(sub: JsonObject, path: string, out: StatusCause[]): void {
  if (sub.scale === undefined) return;
  const scale = obj(sub.scale);
  const spec = str(scale.specReplicasPath);
  if (!spec) out.push(fieldErrors.required(`${path}.scale.specReplicasPath`));
  else if (!spec.startsWith('.spec.') || !parseColumnPath(spec))
    out.push(
      fieldErrors.invalid(
        `${path}.scale.specReplicasPath`,
        spec,
        'should be a json path under .spec',
      ),
    );
  const status = str(scale.statusReplicasPath);
  if (!status) out.push(fieldErrors.required(`${path}.scale.statusReplicasPath`));
  else if (!status.startsWith('.status.') || !parseColumnPath(status))
    out.push(
      fieldErrors.invalid(
        `${path}.scale.statusReplicasPath`,
        status,
        'should be a json path under .status',
      ),
    );
  const selector = scale.labelSelectorPath;
  if (selector !== undefined) {
    const text = str(selector);
    if ((!text.startsWith('.spec.') && !text.startsWith('.status.')) || !parseColumnPath(text))
      out.push(
        fieldErrors.invalid(
          `${path}.scale.labelSelectorPath`,
          selector,
          'should be a json path under either .spec or .status',
        ),
      );
  }
}

function validateColumn(c: JsonObject, path: string, out: StatusCause[]): void {
  if (!c.name) out.push(fieldErrors.required(`${path}.name`));
  if (!c.type) out.push(fieldErrors.required(`${path}.type`));
  else if (!COLUMN_TYPES.includes(str(c.type)))
    out.push(fieldErrors.notSupported(`${path}.type`, c.type, COLUMN_TYPES));
  if (!c.jsonPath) out.push(fieldErrors.required(`${path}.jsonPath`));
  else if (!parseColumnPath(str(c.jsonPath)))
    out.push(
      fieldErrors.invalid(
        `${path}.jsonPath`,
        c.jsonPath,
        'must be a simple json path starting with .',
      ),
    );
}

/** What an update may not change: the group and the scope (Kubernetes: immutable once served). */
export function validateCrdUpdate(next: KubeObject, prev: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const n = obj(next.spec);
  const p = obj(prev.spec);
  if (n.group !== p.group)
    out.push(fieldErrors.invalid('spec.group', n.group, 'field is immutable'));
  if (n.scope !== p.scope)
    out.push(fieldErrors.invalid('spec.scope', n.scope, 'field is immutable'));
  return out;
}
