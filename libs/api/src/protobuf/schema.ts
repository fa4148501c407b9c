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

/**
 * Messages by fully qualified name, and the qualified names each short name stands for. Tables of
 * different packages may use one short name (core/v1 and events.k8s.io/v1 both have Event and
 * EventSeries; core/v1 and discovery.k8s.io/v1 both have EndpointPort), so a table's references are
 * resolved as protoc resolves them: its own package first, then the one package that has the name.
 */
interface Registry {
  byName: Map<string, MessageSchema>;
  byShort: Map<string, string[]>;
}

let registry: Registry = { byName: new Map(), byShort: new Map() };
let registryGeneration = -1;

function register(into: Registry, table: MessageTable): MessageSchema[] {
  const added: MessageSchema[] = [];
  for (const [short, lines] of Object.entries(table.messages)) {
    const name = `${table.package}.${short}`;
    if (into.byName.has(name)) throw new Error(`message ${name} is defined twice`);
    const fields = lines.map(parseFieldLine);
    const byNumber = new Map<number, FieldSpec>();
    for (const f of fields) {
      if (byNumber.has(f.no)) throw new Error(`${name}: field ${f.no} is defined twice`);
      byNumber.set(f.no, f);
    }
    const schema: MessageSchema = {
      name,
      fields,
      wireOrder: [...fields].sort((a, b) => a.no - b.no),
      byNumber,
      jsonNames: new Set(),
    };
    into.byName.set(name, schema);
    into.byShort.set(short, [...(into.byShort.get(short) ?? []), name]);
    added.push(schema);
  }
  return added;
}

/** The qualified name `ref` stands for in `pkg`: that package's own message first. */
function resolve(into: Registry, ref: string, pkg: string): string | undefined {
  if (ref.includes('.')) return into.byName.has(ref) ? ref : undefined;
  const own = `${pkg}.${ref}`;
  if (into.byName.has(own)) return own;
  const candidates = into.byShort.get(ref) ?? [];
  if (candidates.length > 1)
    throw new Error(
      `message ${ref} referred to from ${pkg} is ambiguous: ${candidates.join(' or ')}`,
    );
  return candidates[0];
}

/** The shared tables and those of every kind module, registered on first use (and after kinds change). */
function messages(): Registry {
  if (registryGeneration === kindsGeneration()) return registry;
  const next: Registry = { byName: new Map(), byShort: new Map() };
  const tables = [
    META_V1,
    CORE_V1,
    ...kindModules().flatMap((m) => (m.protobuf ? [m.protobuf] : [])),
  ];
  const added = tables.map((table) => ({ table, schemas: register(next, table) }));
  // References become qualified names once every table is in (a table may refer to a later one).
  for (const { table, schemas } of added) {
    for (const schema of schemas) {
      for (const f of schema.fields) {
        if (f.value.kind !== 'message') continue;
        const name = resolve(next, f.value.name, table.package);
        if (name) f.value = { kind: 'message', name };
      }
    }
  }
  registry = next;
  registryGeneration = kindsGeneration();
  for (const s of registry.byName.values()) fillJsonNames(s, new Set());
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

/**
 * The schema of a message by its qualified name (k8s.io.api.core.v1.Event), or by its short name
 * (Container, ObjectMeta, Deployment) when only one package has it.
 */
export function messageSchema(name: string): MessageSchema {
  const r = messages();
  const found = r.byName.get(name);
  if (found) return found;
  const candidates = name.includes('.') ? [] : (r.byShort.get(name) ?? []);
  if (candidates.length > 1)
    throw new Error(`message ${name} is ambiguous: name one of ${candidates.join(', ')}`);
  const s = candidates.length === 1 ? r.byName.get(candidates[0]) : undefined;
  if (!s) throw new Error(`no protobuf schema for message ${name}`);
  return s;
}

/** Every message name, for tests that check the tables are closed under reference. */
export function messageNames(): string[] {
  return [...messages().byName.keys()];
}
