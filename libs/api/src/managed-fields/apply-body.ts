// The body of a server-side apply request (application/apply-patch+yaml): YAML or JSON (JSON is
// YAML), one document holding a partial object of the resource's kind, checked against the URL.
import { parseDocument } from 'yaml';
import type { DocumentOptions, ParseOptions, SchemaOptions, Tags } from 'yaml';
import type { ResourceInfo } from '../catalog';
import { apiVersionOf, parseApiVersion } from '../catalog';
import type { JsonObject } from '../object';
import { isPlainObject } from '../object';
import { valueNestingProblem, yamlNestingProblem } from '../nesting';
import { apiErrors } from '../status';

/** YAML 1.1 as Kubernetes' decoder reads it; dates and binaries stay strings. */
const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  uniqueKeys: true,
  prettyErrors: false,
  customTags: (tags: Tags) =>
    tags.filter(
      (t) =>
        typeof t === 'string' ||
        (t.tag !== 'tag:yaml.org,2002:timestamp' && t.tag !== 'tag:yaml.org,2002:binary'),
    ),
};

/** Decodes the body; 400 "error decoding YAML: ..." when it is not one YAML mapping. */
export function parseApplyBody(body: Buffer | undefined): JsonObject {
  const text = body ? body.toString('utf8') : '';
  let value: unknown;
  try {
    // The parser recurses: refuse deep documents before it sees them, and deep values that
    // aliases build from shallow text (or an anchor inside its own value) after.
    const tooDeep = yamlNestingProblem(text);
    if (tooDeep) throw new Error(tooDeep);
    const doc = parseDocument(text, YAML_OPTIONS);
    if (doc.errors.length > 0) throw new Error(doc.errors[0].message);
    value = doc.toJS({ maxAliasCount: 1000 });
    const built = valueNestingProblem(value);
    if (built) throw new Error(built);
  } catch (err) {
    throw apiErrors.badRequest(`error decoding YAML: ${(err as Error).message}`);
  }
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) {
    const what = Array.isArray(value) ? 'a list' : `a ${typeof value}`;
    throw apiErrors.badRequest(
      `error decoding YAML: the document is ${what}, not a map of an object's fields`,
    );
  }
  return value;
}

/**
 * Checks an applied configuration against the resource and the URL, as the Kubernetes API server
 * does before merging: its apiVersion and kind, no managedFields, and the URL's name and namespace.
 * `creating`: the object does not exist yet, so the configuration must name it.
 */
export function checkAppliedConfig(
  r: ResourceInfo,
  config: JsonObject,
  url: { namespace?: string; name: string },
  creating: boolean,
  expected: { apiVersion: string; kind: string } = { apiVersion: apiVersionOf(r), kind: r.kind },
): void {
  const apiVersion = typeof config.apiVersion === 'string' ? config.apiVersion : '';
  const kind = typeof config.kind === 'string' ? config.kind : '';
  if (apiVersion !== expected.apiVersion || kind !== expected.kind) {
    const gv = parseApiVersion(apiVersion);
    throw apiErrors.badRequest(`invalid object type: ${gv.group}/${gv.version}, Kind=${kind}`);
  }
  if (config.metadata !== undefined && config.metadata !== null && !isPlainObject(config.metadata))
    throw apiErrors.badRequest('metadata must be an object');
  const m = isPlainObject(config.metadata) ? config.metadata : {};
  if (m.managedFields !== undefined && m.managedFields !== null)
    throw apiErrors.badRequest('metadata.managedFields must be nil');
  const name = typeof m.name === 'string' ? m.name : '';
  if ((name !== '' || creating) && name !== url.name) {
    throw apiErrors.badRequest(
      `the name of the object (${name}) does not match the name on the URL (${url.name})`,
    );
  }
  if (r.namespaced && typeof m.namespace === 'string' && m.namespace !== '' && url.namespace) {
    if (m.namespace !== url.namespace) {
      throw apiErrors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
  }
}
