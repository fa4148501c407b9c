// One declaration of a kind's messages gives both its protobuf field table and its schema
// definitions (OpenAPI, unknown fields, strategic merge, server-side apply), so a field's name,
// number, type and merge behaviour are written once.
//
// A line is the protobuf notation of ../protobuf/schema.ts ('<number> <json>[!] <type>'),
// optionally followed by annotations for list and map fields:
//   merge=<key>    patchStrategy merge with patchMergeKey <key> (a list-map keyed by it)
//   merge          patchStrategy merge of primitives (a set)
//   map=<k1>,<k2>  x-kubernetes-list-type map with these keys (where it differs from merge)
//   atomic         x-kubernetes-list-type atomic, or +mapType=atomic on a map
//   set            x-kubernetes-list-type set
//   retainKeys     patchStrategy retainKeys on an object field
// A `!` (no omitempty in Go) marks the field required in the schema, as Kubernetes' OpenAPI has it.
import type { MessageTable } from '../protobuf/schema';
import type { Definition, ListMeta, ListType } from './kind-module';
import { CORE, META } from './meta';

export interface KindDeclaration {
  group: string;
  version: string;
  kind: string;
  /** The protobuf package, e.g. k8s.io.api.batch.v1. */
  package: string;
  /** The OpenAPI definition prefix, e.g. io.k8s.api.batch.v1. (with the dot). */
  prefix: string;
  messages: Record<string, string[]>;
  /** Messages of this declaration that other tables already carry: schema only, no protobuf. */
  schemaOnly?: string[];
  /** What `kubectl explain` says of each message (a generic sentence when absent). */
  descriptions?: Record<string, string>;
  /** +structType=atomic messages. */
  atomic?: string[];
  /** Definitions of other modules a message refers to, by message name. */
  refs?: Record<string, string>;
}

/** Definitions every kind may refer to, by protobuf message name. */
const KNOWN_REFS: Record<string, string> = {
  ObjectMeta: `${META}ObjectMeta`,
  LabelSelector: `${META}LabelSelector`,
  PodTemplateSpec: `${CORE}PodTemplateSpec`,
  LocalObjectReference: `${CORE}LocalObjectReference`,
};

const SCALAR_TYPES: Record<string, string> = {
  string: 'string',
  bytes: 'bytes',
  int32: 'int32',
  int64: 'integer',
  bool: 'boolean',
  double: 'number',
  Time: 'time',
  MicroTime: 'time',
  Quantity: 'quantity',
  IntOrString: 'int-or-string',
  FieldsV1: 'any',
  RawExtension: 'any',
};

interface ParsedLine {
  protobuf: string;
  json: string;
  inline: boolean;
  required: boolean;
  prefix: '' | '*' | '[]' | 'map[string]';
  type: string;
  annotations: string[];
}

function parse(proto: string, message: string): Omit<ParsedLine, 'annotations'> {
  const m = /^(\d+) (inline|[A-Za-z][A-Za-z0-9]*)(!?) (\*|\[\]|map\[string\])?([A-Za-z0-9]+)$/.exec(
    proto,
  );
  if (!m) throw new Error(`${message}: bad declaration line ${JSON.stringify(proto)}`);
  return {
    protobuf: proto,
    json: m[2],
    inline: m[2] === 'inline',
    required: m[3] === '!',
    prefix: (m[4] ?? '') as ParsedLine['prefix'],
    type: m[5],
  };
}

/** Splits '<proto> <annotation> ...' (the notation itself has exactly three space-separated parts). */
function splitLine(line: string): { proto: string; annotations: string[] } {
  const parts = line.trim().split(/\s+/);
  return { proto: parts.slice(0, 3).join(' '), annotations: parts.slice(3) };
}

export function declareKind(d: KindDeclaration): {
  definitions: Record<string, Definition>;
  protobuf: MessageTable;
} {
  const refs = { ...KNOWN_REFS, ...(d.refs ?? {}) };
  const parsed: Record<string, ParsedLine[]> = {};
  for (const [name, lines] of Object.entries(d.messages)) {
    parsed[name] = lines.map((line) => {
      const { proto, annotations } = splitLine(line);
      return { ...parse(proto, name), annotations };
    });
  }
  const schemaType = (type: string): string => {
    const scalar = SCALAR_TYPES[type];
    if (scalar) return scalar;
    if (parsed[type]) return `#${d.prefix}${type}`;
    const known = refs[type];
    return known ? `#${known}` : 'any';
  };

  const definitions: Record<string, Definition> = {};
  const listKind = `${d.kind}List`;
  for (const [name, lines] of Object.entries(parsed)) {
    if (name === listKind) continue;
    const def: Definition = {
      description: d.descriptions?.[name] ?? `${name} of the ${d.kind} API.`,
      fields: name === d.kind ? { apiVersion: 'string', kind: 'string' } : {},
    };
    const required: string[] = [];
    const addFields = (of: ParsedLine[]): void => {
      for (const f of of) {
        if (f.inline) {
          if (parsed[f.type]) addFields(parsed[f.type]);
          continue;
        }
        const t = schemaType(f.type);
        def.fields[f.json] =
          f.prefix === '[]' ? `[]${t}` : f.prefix === 'map[string]' ? `map:${t}` : t;
        if (f.required && name !== d.kind) required.push(f.json);
        annotate(def, f);
      }
    };
    addFields(lines);
    if (required.length) def.required = required;
    if (d.atomic?.includes(name)) def.atomic = true;
    if (name === d.kind) def.gvk = { group: d.group, version: d.version, kind: d.kind };
    definitions[`${d.prefix}${name}`] = def;
  }

  const skip = new Set(d.schemaOnly ?? []);
  const protobuf: MessageTable = { package: d.package, messages: {} };
  for (const [name, lines] of Object.entries(parsed)) {
    if (!skip.has(name)) protobuf.messages[name] = lines.map((l) => l.protobuf);
  }
  return { definitions, protobuf };
}

function annotate(def: Definition, f: ParsedLine): void {
  for (const a of f.annotations) {
    const [key, value] = a.split('=');
    switch (key) {
      case 'merge': {
        const meta: ListMeta = value
          ? { mergeKey: value, strategy: 'merge' }
          : { strategy: 'merge' };
        (def.lists ??= {})[f.json] = meta;
        break;
      }
      case 'map': {
        const type: ListType = { type: 'map', keys: value.split(',') };
        (def.listTypes ??= {})[f.json] = type;
        break;
      }
      case 'set':
        (def.listTypes ??= {})[f.json] = { type: 'set' };
        break;
      case 'atomic':
        if (f.prefix === 'map[string]') (def.atomicMaps ??= []).push(f.json);
        else (def.listTypes ??= {})[f.json] = { type: 'atomic' };
        break;
      case 'retainKeys':
        (def.retainKeys ??= []).push(f.json);
        break;
      default:
        throw new Error(`unknown annotation ${JSON.stringify(a)} on field ${f.json}`);
    }
  }
}
