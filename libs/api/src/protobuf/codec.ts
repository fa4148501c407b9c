// Schema-driven protobuf <-> JSON for Kubernetes messages: decode gives the JSON Go's encoding/json would write.
//
// Go writes every non-pointer field, zero or not, and a pointer field whenever it is set. Decoding
// follows the JSON tags: a zero value is left out unless its field has no omitempty (`!`), a
// pointer field is kept whenever it was on the wire, an empty non-pointer message is left out.
// Encoding writes what the JSON holds, in field-number order, and leaves out zero non-pointer values.
import { jsonNestingProblem } from '../nesting';
import { setOwn } from '../own-keys';
import { malformed, unsupported } from './errors';
import { FieldSpec, MessageSchema, messageSchema, ScalarType, SpecialType } from './schema';
import { ProtoReader, ProtoWriter, WireType } from './wire';

export type JsonObject = Record<string, unknown>;

const EMPTY = new Uint8Array(0);
/** Deeper than any Kubernetes object nests; bounds the work a hostile body can ask for. */
const MAX_DEPTH = 64;

/** Decodes one message's bytes into its JSON object. */
export function decodeMessage(short: string, bytes: Uint8Array): JsonObject {
  return decode(messageSchema(short), bytes, 0).obj;
}

export interface EncodeOptions {
  /**
   * Leave out keys the message does not have instead of failing: for answers, where a Go server
   * would never have kept them (its structs drop unknown fields when it reads a request).
   */
  dropUnknownFields?: boolean;
}

/**
 * Encodes a JSON object as the message's bytes. A key the message does not have is an error, except
 * apiVersion and kind of the top-level object or of a list item (an object with metadata whose kind
 * is this message): those travel in the envelope, or nowhere.
 */
export function encodeMessage(
  short: string,
  obj: JsonObject,
  options: EncodeOptions = {},
): Uint8Array {
  const w = new ProtoWriter();
  encode(messageSchema(short), obj, w, short, 'top', 0, options);
  return w.finish();
}

// ---- decode ----

interface Decoded {
  obj: JsonObject;
  /** Whether anything in it is set: a non-zero value or a pointer that was on the wire. */
  nonZero: boolean;
}

type Raw = number | boolean | Uint8Array;

function wireTypeOf(f: FieldSpec): number {
  if (f.map || f.value.kind !== 'scalar') return WireType.Bytes;
  switch (f.value.type) {
    case 'string':
    case 'bytes':
      return WireType.Bytes;
    case 'double':
      return WireType.Fixed64;
    default:
      return WireType.Varint;
  }
}

function readScalar(r: ProtoReader, type: ScalarType): Raw {
  switch (type) {
    case 'int32':
      return r.int32();
    case 'int64':
      return r.int64();
    case 'bool':
      return r.bool();
    case 'double':
      return r.double();
    default:
      return r.bytes();
  }
}

/** Whether bytes of an unknown length-delimited field parse as a message whose fields are all zero. */
function zeroMessage(bytes: Uint8Array, depth: number): boolean {
  if (bytes.length === 0) return true;
  if (depth > MAX_DEPTH) return false;
  try {
    const r = new ProtoReader(bytes);
    while (!r.done) {
      const { wire } = r.tag();
      const s = r.skip(wire);
      if (s.nonZero && !(s.bytes && zeroMessage(s.bytes, depth + 1))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function unknownField(schema: MessageSchema, r: ProtoReader, no: number, wire: number): void {
  const s = r.skip(wire);
  if (!s.nonZero || (s.bytes && zeroMessage(s.bytes, 0))) return;
  throw unsupported(
    `protobuf field ${no} of ${schema.name} is not known to this server and carries a value; ` +
      'send the object as JSON (Content-Type: application/json) instead',
  );
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reads every field of a message: the last value of single fields, all values of repeated ones. */
function readFields(schema: MessageSchema, bytes: Uint8Array): Map<FieldSpec, Raw | Raw[]> {
  const slots = new Map<FieldSpec, Raw | Raw[]>();
  const merged = new Map<FieldSpec, Uint8Array[]>();
  const r = new ProtoReader(bytes);
  while (!r.done) {
    const { no, wire } = r.tag();
    const f = schema.byNumber.get(no);
    if (!f) {
      unknownField(schema, r, no, wire);
      continue;
    }
    const expected = wireTypeOf(f);
    const packed = f.repeated && wire === WireType.Bytes && expected !== WireType.Bytes && !f.map;
    if (wire !== expected && !packed) {
      throw malformed(
        `field ${no} (${f.json ?? 'inline'}) of ${schema.name} has wire type ${wire}, expected ${expected}`,
      );
    }
    if (f.repeated || f.map) {
      const list = (slots.get(f) as Raw[] | undefined) ?? [];
      slots.set(f, list);
      if (packed) {
        const inner = r.bytes();
        const pr = new ProtoReader(inner);
        while (!pr.done) list.push(readScalar(pr, (f.value as { type: ScalarType }).type));
      } else if (f.value.kind === 'scalar' && !f.map) {
        list.push(readScalar(r, f.value.type));
      } else list.push(r.bytes());
    } else if (f.value.kind === 'scalar') {
      slots.set(f, readScalar(r, f.value.type));
    } else if (f.value.kind === 'message') {
      // A message field seen more than once is merged, as Go does: its bytes joined, once, below.
      const parts = merged.get(f);
      if (parts) parts.push(r.bytes());
      else merged.set(f, [r.bytes()]);
    } else slots.set(f, r.bytes());
  }
  for (const [f, parts] of merged) slots.set(f, parts.length === 1 ? parts[0] : concat(parts));
  return slots;
}

const utf8 = new TextDecoder('utf-8');

function scalarJson(type: ScalarType, raw: Raw | undefined): unknown {
  switch (type) {
    case 'string':
      return raw === undefined ? '' : utf8.decode(raw as Uint8Array);
    case 'bytes':
      return raw === undefined ? '' : Buffer.from(raw as Uint8Array).toString('base64');
    case 'bool':
      return raw ?? false;
    default:
      return raw ?? 0;
  }
}

function isZeroJson(v: unknown): boolean {
  return v === '' || v === 0 || v === false || v === null;
}

const SPECIAL_SCHEMAS: Record<SpecialType, MessageSchema> = {
  Time: special('k8s.io.apimachinery.pkg.apis.meta.v1.Time', [
    [1, 'seconds', 'int64'],
    [2, 'nanos', 'int32'],
  ]),
  MicroTime: special('k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime', [
    [1, 'seconds', 'int64'],
    [2, 'nanos', 'int32'],
  ]),
  Quantity: special('k8s.io.apimachinery.pkg.api.resource.Quantity', [[1, 'string', 'string']]),
  IntOrString: special('k8s.io.apimachinery.pkg.util.intstr.IntOrString', [
    [1, 'type', 'int64'],
    [2, 'intVal', 'int32'],
    [3, 'strVal', 'string'],
  ]),
  FieldsV1: special('k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1', [[1, 'Raw', 'bytes']]),
  RawExtension: special('k8s.io.apimachinery.pkg.runtime.RawExtension', [[1, 'raw', 'bytes']]),
};

function special(name: string, fields: [number, string, ScalarType][]): MessageSchema {
  const specs: FieldSpec[] = fields.map(([no, json, type]) => ({
    no,
    json,
    inline: false,
    value: { kind: 'scalar', type },
    repeated: false,
    map: false,
    pointer: false,
    omitEmpty: false,
  }));
  return {
    name,
    fields: specs,
    wireOrder: specs,
    byNumber: new Map(specs.map((f) => [f.no, f])),
    jsonNames: new Set(fields.map(([, json]) => json)),
  };
}

/** A special type's JSON value and whether it is that type's zero (which omitempty leaves out). */
function specialJson(type: SpecialType, bytes: Uint8Array): { json: unknown; zero: boolean } {
  const schema = SPECIAL_SCHEMAS[type];
  const slots = readFields(schema, bytes);
  const get = (no: number) => slots.get(schema.byNumber.get(no)!) as Raw | undefined;
  switch (type) {
    case 'Time': {
      // Go writes nothing at all for the zero time (JSON null); anything else is seconds since 1970.
      if (bytes.length === 0) return { json: null, zero: true };
      const seconds = (get(1) as number | undefined) ?? 0;
      const date = new Date(seconds * 1000);
      const year = date.getUTCFullYear();
      if (!Number.isFinite(date.getTime()) || year < 0 || year > 9999)
        throw malformed(`${schema.name}: ${seconds} seconds is outside the years 0-9999`);
      // metav1.Time is written at second precision in JSON, as Go does.
      return { json: date.toISOString().replace(/\.\d{3}Z$/, 'Z'), zero: false };
    }
    case 'MicroTime': {
      // As Time, written with microseconds in JSON (Go's RFC3339Micro).
      if (bytes.length === 0) return { json: null, zero: true };
      const seconds = (get(1) as number | undefined) ?? 0;
      const nanos = (get(2) as number | undefined) ?? 0;
      const date = new Date(seconds * 1000);
      const year = date.getUTCFullYear();
      if (!Number.isFinite(date.getTime()) || year < 0 || year > 9999)
        throw malformed(`${schema.name}: ${seconds} seconds is outside the years 0-9999`);
      if (nanos < 0 || nanos > 999_999_999)
        throw malformed(`${schema.name}: ${nanos} nanoseconds is out of range`);
      const micros = String(Math.floor(nanos / 1000)).padStart(6, '0');
      return {
        json: date.toISOString().replace(/\.\d{3}Z$/, `.${micros}Z`),
        zero: false,
      };
    }
    case 'Quantity': {
      // The zero Quantity is written "0" by Go.
      const s = scalarJson('string', get(1)) as string;
      return s === '' || s === '0' ? { json: '0', zero: true } : { json: s, zero: false };
    }
    case 'IntOrString': {
      if (get(1) === 1) {
        const s = scalarJson('string', get(3)) as string;
        return { json: s, zero: s === '' };
      }
      const n = (get(2) as number | undefined) ?? 0;
      return { json: n, zero: n === 0 };
    }
    case 'FieldsV1':
    case 'RawExtension': {
      const raw = get(1) as Uint8Array | undefined;
      if (!raw || raw.length === 0) return { json: null, zero: true };
      const tooDeep = jsonNestingProblem(raw);
      if (tooDeep) throw malformed(`${schema.name}: Raw ${tooDeep}`);
      try {
        return { json: JSON.parse(utf8.decode(raw)), zero: false };
      } catch {
        throw malformed(`${schema.name}: Raw is not JSON`);
      }
    }
  }
}

/** A single value of a field's type: its JSON and whether it is set (non-zero). */
function valueJson(f: FieldSpec, raw: Raw, depth: number): { json: unknown; set: boolean } {
  switch (f.value.kind) {
    case 'scalar': {
      const json = scalarJson(f.value.type, raw);
      return { json, set: !isZeroJson(json) };
    }
    case 'special': {
      const s = specialJson(f.value.type, raw as Uint8Array);
      return { json: s.json, set: !s.zero };
    }
    case 'message': {
      const d = decode(messageSchema(f.value.name), raw as Uint8Array, depth + 1);
      return { json: d.obj, set: d.nonZero };
    }
  }
}

function decode(schema: MessageSchema, bytes: Uint8Array, depth: number): Decoded {
  if (depth > MAX_DEPTH) throw malformed(`messages nest deeper than ${MAX_DEPTH} levels`);
  const slots = readFields(schema, bytes);
  const obj: JsonObject = {};
  let nonZero = false;
  for (const f of schema.fields) {
    const raw = slots.get(f);
    if (f.inline) {
      const d = decode(
        messageSchema((f.value as { name: string }).name),
        (raw as Uint8Array | undefined) ?? EMPTY,
        depth + 1,
      );
      Object.assign(obj, d.obj);
      nonZero ||= d.nonZero;
      continue;
    }
    const key = f.json!;
    if (f.map) {
      const entries = (raw as Uint8Array[] | undefined) ?? [];
      if (entries.length === 0) {
        if (!f.omitEmpty) obj[key] = null;
        continue;
      }
      const map: JsonObject = {};
      for (const e of entries) {
        const [k, v] = mapEntry(schema, f, e, depth);
        setOwn(map, k, v);
      }
      obj[key] = map;
      nonZero = true;
    } else if (f.repeated) {
      const items = (raw as Raw[] | undefined) ?? [];
      if (items.length === 0) {
        if (!f.omitEmpty) obj[key] = null;
        continue;
      }
      obj[key] = items.map((item) => {
        const v = valueJson(f, item, depth);
        return v.json;
      });
      nonZero = true;
    } else if (f.pointer) {
      if (raw === undefined) {
        if (!f.omitEmpty) obj[key] = null;
        continue;
      }
      const v = valueJson(f, raw as Raw, depth);
      // A pointer to a zero metav1.Time marshals as null: the same as leaving it out.
      if (v.json === null) continue;
      obj[key] = v.json;
      nonZero = true;
    } else {
      const v =
        raw === undefined
          ? f.value.kind === 'scalar'
            ? { json: scalarJson(f.value.type, undefined), set: false }
            : valueJson(f, EMPTY, depth)
          : valueJson(f, raw as Raw, depth);
      if (v.set) {
        obj[key] = v.json;
        nonZero = true;
      } else if (!f.omitEmpty) obj[key] = v.json;
    }
  }
  return { obj, nonZero };
}

/** One map entry: key in field 1, value in field 2 (either may be absent: zero). */
function mapEntry(
  schema: MessageSchema,
  f: FieldSpec,
  bytes: Uint8Array,
  depth: number,
): [string, unknown] {
  const r = new ProtoReader(bytes);
  let key = '';
  let value: Raw | undefined;
  const valueWire = wireTypeOf({ ...f, map: false });
  while (!r.done) {
    const { no, wire } = r.tag();
    if (no === 1 && wire === WireType.Bytes) key = r.string();
    else if (no === 2 && wire === valueWire) {
      value = f.value.kind === 'scalar' ? readScalar(r, f.value.type) : r.bytes();
    } else if (no === 1 || no === 2) {
      throw malformed(`map entry of ${schema.name}.${f.json} has field ${no} of wire type ${wire}`);
    } else unknownField(schema, r, no, wire);
  }
  if (f.value.kind === 'scalar') return [key, scalarJson(f.value.type, value)];
  const v = valueJson(f, value ?? EMPTY, depth);
  return [key, v.json];
}

// ---- encode ----

const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function cannot(path: string, what: string): Error {
  return unsupported(`cannot encode ${path} as protobuf: ${what}`);
}

function encode(
  schema: MessageSchema,
  obj: unknown,
  w: ProtoWriter,
  path: string,
  /** Whose keys: a top-level object's, a nested one's, or (unchecked) the parent's for an inline. */
  mode: 'top' | 'nested' | 'inline',
  depth: number,
  options: EncodeOptions,
): void {
  if (depth > MAX_DEPTH) throw cannot(path, `nested deeper than ${MAX_DEPTH} levels`);
  if (!isObject(obj)) throw cannot(path, 'expected an object');
  if (mode !== 'inline') {
    const typeMeta =
      mode === 'top' ||
      (schema.byNumber.get(1)?.json === 'metadata' &&
        obj.kind === schema.name.slice(schema.name.lastIndexOf('.') + 1));
    for (const [k, v] of Object.entries(obj)) {
      if (v === undefined || schema.jsonNames.has(k)) continue;
      if ((typeMeta && (k === 'apiVersion' || k === 'kind')) || options.dropUnknownFields) continue;
      throw cannot(`${path}.${k}`, `${schema.name} has no such field`);
    }
  }
  for (const f of schema.wireOrder) {
    if (f.inline) {
      const sub = new ProtoWriter();
      encode(
        messageSchema((f.value as { name: string }).name),
        obj,
        sub,
        path,
        'inline',
        depth + 1,
        options,
      );
      if (sub.length > 0) w.tag(f.no, WireType.Bytes).bytes(sub.finish());
      continue;
    }
    const v = obj[f.json!];
    const at = `${path}.${f.json}`;
    if (v === undefined || v === null) continue;
    if (f.map) {
      if (!isObject(v)) throw cannot(at, 'expected an object');
      for (const k of Object.keys(v).sort()) {
        const entry = new ProtoWriter();
        entry.tag(1, WireType.Bytes).string(k);
        writeValue(
          entry,
          { ...f, map: false, no: 2, pointer: true },
          v[k],
          `${at}.${k}`,
          depth,
          options,
        );
        w.tag(f.no, WireType.Bytes).bytes(entry.finish());
      }
    } else if (f.repeated) {
      if (!Array.isArray(v)) throw cannot(at, 'expected an array');
      v.forEach((item, i) =>
        writeValue(
          w,
          { ...f, repeated: false, pointer: true },
          item,
          `${at}[${i}]`,
          depth,
          options,
        ),
      );
    } else writeValue(w, f, v, at, depth, options);
  }
}

/** Writes one value; a non-pointer zero is left out (it decodes back to the same zero). */
function writeValue(
  w: ProtoWriter,
  f: FieldSpec,
  v: unknown,
  at: string,
  depth: number,
  options: EncodeOptions,
): void {
  const keepZero = f.pointer;
  switch (f.value.kind) {
    case 'scalar':
      writeScalar(w, f.no, f.value.type, v ?? null, at, keepZero);
      return;
    case 'special': {
      if (!keepZero && isSpecialZero(f.value.type, v)) return;
      const bytes = specialBytes(f.value.type, v, at);
      if (bytes === undefined) return;
      w.tag(f.no, WireType.Bytes).bytes(bytes);
      return;
    }
    case 'message': {
      const sub = new ProtoWriter();
      encode(messageSchema(f.value.name), v ?? {}, sub, at, 'nested', depth + 1, options);
      if (sub.length === 0 && !keepZero) return;
      w.tag(f.no, WireType.Bytes).bytes(sub.finish());
    }
  }
}

function writeScalar(
  w: ProtoWriter,
  no: number,
  type: ScalarType,
  v: unknown,
  at: string,
  keepZero: boolean,
): void {
  switch (type) {
    case 'string':
      if (v === null) v = '';
      if (typeof v !== 'string') throw cannot(at, 'expected a string');
      if (v !== '' || keepZero) w.tag(no, WireType.Bytes).string(v);
      return;
    case 'bytes': {
      if (v === null) v = '';
      if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0)
        throw cannot(at, 'expected base64 data');
      if (v !== '' || keepZero) w.tag(no, WireType.Bytes).bytes(Buffer.from(v, 'base64'));
      return;
    }
    case 'bool':
      if (v === null) v = false;
      if (typeof v !== 'boolean') throw cannot(at, 'expected a boolean');
      if (v || keepZero) w.tag(no, WireType.Varint).bool(v);
      return;
    case 'double':
      if (v === null) v = 0;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw cannot(at, 'expected a number');
      if (v !== 0 || keepZero) w.tag(no, WireType.Fixed64).double(v);
      return;
    case 'int32':
    case 'int64': {
      if (v === null) v = 0;
      const max = type === 'int32' ? 2 ** 31 - 1 : Number.MAX_SAFE_INTEGER;
      const min = type === 'int32' ? -(2 ** 31) : Number.MIN_SAFE_INTEGER;
      if (typeof v !== 'number' || !Number.isInteger(v) || v > max || v < min)
        throw cannot(at, `expected an ${type}`);
      if (v !== 0 || keepZero) w.tag(no, WireType.Varint).int(v);
    }
  }
}

function isSpecialZero(type: SpecialType, v: unknown): boolean {
  if (type === 'Quantity') return v === '' || v === '0' || v === 0;
  if (type === 'IntOrString') return v === '' || v === 0;
  return false;
}

/** A special type's message bytes; undefined when the value is that type's zero and is left out. */
function specialBytes(type: SpecialType, v: unknown, at: string): Uint8Array | undefined {
  const w = new ProtoWriter();
  switch (type) {
    case 'Time':
    case 'MicroTime': {
      if (v === null || v === undefined) return undefined;
      const ms = typeof v === 'string' ? Date.parse(v) : NaN;
      if (!Number.isFinite(ms)) throw cannot(at, 'expected an RFC 3339 time');
      const seconds = Math.floor(ms / 1000);
      const frac = typeof v === 'string' ? /\.(\d+)/.exec(v) : null;
      const nanos = frac ? Number(frac[1].slice(0, 9).padEnd(9, '0')) : 0;
      // Go writes both fields of a non-zero time, zeros included.
      w.tag(1, WireType.Varint).int(seconds);
      w.tag(2, WireType.Varint).int(nanos);
      return w.finish();
    }
    case 'Quantity': {
      if (v === null || v === undefined) return undefined;
      if (typeof v !== 'string' && typeof v !== 'number') throw cannot(at, 'expected a quantity');
      w.tag(1, WireType.Bytes).string(String(v));
      return w.finish();
    }
    case 'IntOrString': {
      if (typeof v === 'number') {
        if (!Number.isInteger(v) || v > 2 ** 31 - 1 || v < -(2 ** 31))
          throw cannot(at, 'expected an int32');
        w.tag(1, WireType.Varint).int(0);
        w.tag(2, WireType.Varint).int(v);
        w.tag(3, WireType.Bytes).string('');
      } else if (typeof v === 'string') {
        w.tag(1, WireType.Varint).int(1);
        w.tag(2, WireType.Varint).int(0);
        w.tag(3, WireType.Bytes).string(v);
      } else throw cannot(at, 'expected a number or a string');
      return w.finish();
    }
    case 'FieldsV1':
    case 'RawExtension':
      if (v === null || v === undefined) return undefined;
      w.tag(1, WireType.Bytes).string(JSON.stringify(v));
      return w.finish();
  }
}
