// metadata.managedFields: decoding the entries into field sets per manager and encoding them back.
// One entry per (manager, operation, subresource) — and, for Update, the apiVersion — as Kubernetes
// keeps them; entries owning nothing are dropped.
import { isPlainObject } from '../object';
import { FieldSet, FieldsV1Error } from './field-set';

export type Operation = 'Apply' | 'Update';

/** metav1.ManagedFieldsEntry as it travels. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: Operation;
  apiVersion?: string;
  time?: string;
  fieldsType?: 'FieldsV1';
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/** An entry with its fields decoded. */
export interface ManagerEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  time?: string;
  subresource?: string;
  fields: FieldSet;
}

/** What makes two entries the same manager (time and fields never do; Apply ignores the version). */
export function managerIdentity(e: {
  manager: string;
  operation: Operation;
  apiVersion?: string;
  subresource?: string;
}): string {
  return JSON.stringify([
    e.manager,
    e.operation,
    e.operation === 'Update' ? (e.apiVersion ?? '') : '',
    e.subresource ?? '',
  ]);
}

/** An entry the server cannot read; the write then keeps the stored entries, as Kubernetes does. */
export class ManagedFieldsError extends Error {}

/**
 * True for `[]` and `[{}]`: how an update or a non-apply patch clears managedFields, as
 * Kubernetes' isResetManagedFields decides (an explicit empty list, or one empty entry, the form
 * older clients that drop empty lists can send). An absent or null field is not a reset: clients
 * that never saw the field (informers that strip it) keep the stored entries.
 */
export function isResetRequest(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  if (value.length === 0) return true;
  return value.length === 1 && isPlainObject(value[0]) && Object.keys(value[0]).length === 0;
}

const optionalString = (v: unknown, what: string): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ManagedFieldsError(`${what} must be a string`);
  return v;
};

export function decodeManagedFields(value: unknown): ManagerEntry[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ManagedFieldsError('managedFields must be a list');
  const byId = new Map<string, ManagerEntry>();
  for (const raw of value) {
    if (!isPlainObject(raw))
      throw new ManagedFieldsError('a managedFields entry must be an object');
    const operation = raw.operation;
    if (operation !== 'Apply' && operation !== 'Update') {
      throw new ManagedFieldsError(
        `operation must be "Apply" or "Update", not ${JSON.stringify(operation)}`,
      );
    }
    if (raw.fieldsType !== 'FieldsV1') {
      throw new ManagedFieldsError(
        `fieldsType must be "FieldsV1", not ${JSON.stringify(raw.fieldsType)}`,
      );
    }
    let fields: FieldSet;
    try {
      fields = FieldSet.fromFieldsV1(raw.fieldsV1 ?? {});
    } catch (err) {
      if (err instanceof FieldsV1Error) throw new ManagedFieldsError(err.message);
      throw err;
    }
    const entry: ManagerEntry = {
      manager: optionalString(raw.manager, 'manager') ?? '',
      operation,
      apiVersion: optionalString(raw.apiVersion, 'apiVersion') ?? '',
      time: optionalString(raw.time, 'time'),
      subresource: optionalString(raw.subresource, 'subresource') || undefined,
      fields,
    };
    const id = managerIdentity(entry);
    const seen = byId.get(id);
    if (seen) seen.fields = seen.fields.union(fields);
    else byId.set(id, entry);
  }
  return [...byId.values()];
}

/** Apply entries first, then by time, manager, apiVersion and subresource (Kubernetes' order). */
function compareEntries(a: ManagerEntry, b: ManagerEntry): number {
  const keys: [string, string][] = [
    [a.operation, b.operation],
    [a.time ?? '', b.time ?? ''],
    [a.manager, b.manager],
    [a.apiVersion, b.apiVersion],
    [a.subresource ?? '', b.subresource ?? ''],
  ];
  for (const [x, y] of keys) if (x !== y) return x < y ? -1 : 1;
  return 0;
}

/** The wire form; entries that own nothing are left out. */
export function encodeManagedFields(entries: ManagerEntry[]): ManagedFieldsEntry[] {
  return entries
    .filter((e) => !e.fields.isEmpty())
    .sort(compareEntries)
    .map((e) => {
      const out: ManagedFieldsEntry = {
        manager: e.manager,
        operation: e.operation,
        apiVersion: e.apiVersion,
      };
      if (e.time) out.time = e.time;
      out.fieldsType = 'FieldsV1';
      out.fieldsV1 = e.fields.toFieldsV1();
      if (e.subresource) out.subresource = e.subresource;
      return out;
    });
}
