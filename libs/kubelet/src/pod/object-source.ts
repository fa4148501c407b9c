// Where the kubelet reads the ConfigMaps and Secrets its pods use. The API side fills this from
// the API server; tests and the standalone mode fill it from memory or a directory.
import type { KubeObject } from '@flotilla/api';

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
  /** base64 */
  binaryData?: Record<string, string>;
}

export interface Secret extends KubeObject {
  /** base64 */
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  type?: string;
}

export interface ObjectSource {
  /** Undefined when there is no such ConfigMap; throws when it cannot tell (API unreachable). */
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
}

/** ConfigMap data and binaryData as bytes per key. */
export function configMapBytes(cm: ConfigMap): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.data ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}

/** Secret data (base64) and stringData as bytes per key. */
export function secretBytes(s: Secret): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(s.data ?? {})) out.set(k, Buffer.from(v, 'base64'));
  for (const [k, v] of Object.entries(s.stringData ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  return out;
}

/** An ObjectSource over objects held in memory (tests, standalone manifests). */
export class MemoryObjectSource implements ObjectSource {
  private readonly configMaps = new Map<string, ConfigMap>();
  private readonly secrets = new Map<string, Secret>();

  put(obj: KubeObject): void {
    const key = `${obj.metadata.namespace ?? 'default'}/${obj.metadata.name}`;
    if (obj.kind === 'ConfigMap') this.configMaps.set(key, obj as ConfigMap);
    else if (obj.kind === 'Secret') this.secrets.set(key, obj as Secret);
    else throw new Error(`MemoryObjectSource holds ConfigMaps and Secrets, not ${obj.kind}`);
  }

  remove(kind: string, namespace: string, name: string): void {
    (kind === 'ConfigMap' ? this.configMaps : this.secrets).delete(`${namespace}/${name}`);
  }

  /** Replaces everything with objects (a fresh read of a manifest directory). */
  replaceAll(objects: KubeObject[]): void {
    this.configMaps.clear();
    this.secrets.clear();
    for (const o of objects) this.put(o);
  }

  async configMap(namespace: string, name: string): Promise<ConfigMap | undefined> {
    return this.configMaps.get(`${namespace}/${name}`);
  }

  async secret(namespace: string, name: string): Promise<Secret | undefined> {
    return this.secrets.get(`${namespace}/${name}`);
  }
}
