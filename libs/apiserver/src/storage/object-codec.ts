import type { KubeObject } from '@flotilla/api';
import type { KeyValue } from '@flotilla/store';

/**
 * Objects are stored as JSON without their resourceVersion: the key's mod revision is the
 * authority and is set on every read.
 */
export function encodeObject(obj: KubeObject): Buffer {
  const { resourceVersion: _ignored, ...metadata } = obj.metadata;
  return Buffer.from(JSON.stringify({ ...obj, metadata }));
}

export function decodeObject(value: Buffer | Uint8Array, modRevision: number): KubeObject {
  const obj = JSON.parse(Buffer.from(value).toString('utf8')) as KubeObject;
  obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: String(modRevision) };
  return obj;
}

export function decodeKv(kv: KeyValue): KubeObject {
  return decodeObject(kv.value, kv.modRevision);
}
