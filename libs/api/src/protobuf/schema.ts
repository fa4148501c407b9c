// The schema tables: one per protobuf message, each field written as one short line.
//
// A line is '<number> <json name>[!] <type>', in the order Go declares the fields (the order its JSON
// has). `!` marks a field Go marshals without omitempty: its zero value is written too. The JSON name
// `inline` marks an embedded struct whose fields sit in the parent's JSON (Volume's VolumeSource).
// Types: string | bytes | int32 | int64 | bool | double, the special types Time | Quantity |
// MicroTime | IntOrString | FieldsV1 | RawExtension, or a message name; `*T` is a Go pointer (present even when zero), `[]T`
// repeated, `map[string]T` a map.
import { META_V1 } from './tables/meta-v1';
import { CORE_V1 } from './tables/core-v1';
import { kindModules, kindsGeneration } from '../kinds/registry';

export interface MessageTable {
  package: string;
  messages: Record<string, string[]>;
}

export type ScalarType = 'string' | 'bytes' | 'int32' | 'int64' | 'bool' | 'double';
/**
 * metav1.Time and MicroTime, resource.Quantity, intstr.IntOrString, metav1.FieldsV1 and runtime.RawExtension
 * (both: JSON carried as bytes): JSON of their own.
 */
export type SpecialType =
  'Time' | 'MicroTime' | 'Quantity' | 'IntOrString' | 'FieldsV1' | 'RawExtension';

export type ValueType =
  | { kind: 'scalar'; type: ScalarType }
  | { kind: 'special'; type: SpecialType }
  | { kind: 'message'; name: string };

export interface FieldSpec {
  no: number;
  /** JSON name; absent for an inline message. */
  json?: string;
  inline: boolean;
  value: ValueType;
  repeated: boolean;
  map: boolean;
  pointer: boolean;
  omitEmpty: boolean;
}

export interface MessageSchema {
  /** Fully qualified, e.g. k8s.io.api.core.v1.Container. */
  name: string;
  /** In declaration (JSON) order. */
  fields: FieldSpec[];
  /** In field-number (wire) order. */
  wireOrder: FieldSpec[];
  byNumber: Map<number, FieldSpec>;
  /** JSON names, those of inline messages included. */
  jsonNames: Set<string>;
}

const SCALARS = new Set<string>(['string', 'bytes', 'int32', 'int64', 'bool', 'double']);
const SPECIALS = new Set<string>([
  'Time',
  'MicroTime',
  'Quantity',
  'IntOrString',
  'FieldsV1',
  'RawExtension',
]);

function valueType(name: string): ValueType {
  if (SCALARS.has(name)) return { kind: 'scalar', type: name as ScalarType };
  if (SPECIALS.has(name)) return { kind: 'special', type: name as SpecialType };
  return { kind: 'message', name };
}

/** Parses one table line; throws on anything outside the notation. */
export function parseFieldLine(line: string): FieldSpec {
  const m = /^(\d+) (inline|[A-Za-z][A-Za-z0-9]*)(!?) (\*|\[\]|map\[string\])?([A-Za-z0-9]+)$/.exec(
    line,
  );
  if (!m) throw new Error(`bad schema line: ${JSON.stringify(line)}`);
  const [, no, name, bang, prefix, type] = m;
  const inline = name === 'inline';
  return {
    no: Number(no),
    json: inline ? undefined : name,
    inline,
    value: valueType(type),
    repeated: prefix === '[]',
    map: prefix === 'map[string]',
    pointer: prefix === '*',
    omitEmpty: bang !== '!',
  };
}

let registry = new Map<string, MessageSchema>();
let registryGeneration = -1;

function register(registry: Map<string, MessageSchema>, table: MessageTable): void {
  for (const [short, lines] of Object.entries(table.messages)) {
    if (registry.has(short)) throw new Error(`message ${short} is defined twice`);
    const fields = lines.map(parseFieldLine);
    const byNumber = new Map<number, FieldSpec>();
    for (const f of fields) {
      if (byNumber.has(f.no)) throw new Error(`${short}: field ${f.no} is defined twice`);
      byNumber.set(f.no, f);
    }
    registry.set(short, {
      name: `${table.package}.${short}`,
      fields,
      wireOrder: [...fields].sort((a, b) => a.no - b.no),
      byNumber,
      jsonNames: new Set(),
    });
  }
}

/** The shared tables and those of every kind module, registered on first use (and after kinds change). */
function messages(): Map<string, MessageSchema> {
  if (registryGeneration === kindsGeneration()) return registry;
  const next = new Map<string, MessageSchema>();
  const tables = [
    META_V1,
    CORE_V1,
    ...kindModules().flatMap((m) => (m.protobuf ? [m.protobuf] : [])),
  ];
  for (const table of tables) register(next, table);
  registry = next;
  registryGeneration = kindsGeneration();
  for (const s of registry.values()) fillJsonNames(s, new Set());
  return registry;
}

function fillJsonNames(schema: MessageSchema, seen: Set<string>): Set<string> {
  if (schema.jsonNames.size > 0 || seen.has(schema.name)) return schema.jsonNames;
  seen.add(schema.name);
  for (const f of schema.fields) {
    if (f.json !== undefined) schema.jsonNames.add(f.json);
    else if (f.value.kind === 'message') {
      for (const n of fillJsonNames(messageSchema(f.value.name), seen)) schema.jsonNames.add(n);
    }
  }
  return schema.jsonNames;
}

/** The schema of a message by its short name (Container, ObjectMeta, Deployment). */
export function messageSchema(short: string): MessageSchema {
  const s = messages().get(short);
  if (!s) throw new Error(`no protobuf schema for message ${short}`);
  return s;
}

/** Every message name, for tests that check the tables are closed under reference. */
export function messageNames(): string[] {
  return [...messages().keys()];
}
