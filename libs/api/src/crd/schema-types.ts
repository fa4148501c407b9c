// The OpenAPI v3 schema of a CustomResourceDefinition version (JSONSchemaProps), as the fields we
// read. Everything is optional: a CRD arrives as untrusted JSON and is checked by validate-crd.ts.
import { isPlainObject } from '../object';

export interface JsonSchema {
  type?: string;
  format?: string;
  description?: string;
  title?: string;
  nullable?: boolean;
  default?: unknown;
  enum?: unknown[];
  maximum?: number;
  minimum?: number;
  exclusiveMaximum?: boolean;
  exclusiveMinimum?: boolean;
  multipleOf?: number;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  maxItems?: number;
  minItems?: number;
  uniqueItems?: boolean;
  maxProperties?: number;
  minProperties?: number;
  required?: string[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  allOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  not?: JsonSchema;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-validations'?: { rule?: string; message?: string }[];
  [k: string]: unknown;
}

/** The schema of a property, or undefined when the object does not declare it. */
export function propertySchema(s: JsonSchema, key: string): JsonSchema | undefined {
  const props = s.properties;
  if (isPlainObject(props) && Object.prototype.hasOwnProperty.call(props, key)) {
    const p = props[key];
    return isPlainObject(p) ? p : undefined;
  }
  return undefined;
}

/** The schema of a map's values (additionalProperties as a schema), if any. */
export function additionalSchema(s: JsonSchema): JsonSchema | undefined {
  return isPlainObject(s.additionalProperties) ? s.additionalProperties : undefined;
}

export function itemsSchema(s: JsonSchema): JsonSchema | undefined {
  return isPlainObject(s.items) ? s.items : undefined;
}

export function preservesUnknown(s: JsonSchema): boolean {
  return s['x-kubernetes-preserve-unknown-fields'] === true;
}

/** Deepest nesting a schema or a value is walked to: bounds the work on hostile input. */
export const MAX_SCHEMA_DEPTH = 64;

/** A field path in Kubernetes' notation: "spec.ports[0].name", "spec.labels[key]". */
export function child(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}
export function mapKey(path: string, key: string): string {
  return `${path}[${key}]`;
}
