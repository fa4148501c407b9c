// ConfigMaps and Secrets from the API servers for pod env and volumes, each read kept a few
// seconds (the kubelet's TTL cache strategy) so a burst of pods does not read one object a
// hundred times. Not found is an answer (undefined); an unreachable API is an error, and the pod
// waits for the next sync.
import { isApiError } from '@flotilla/api';
import type { ResourceOps } from '@flotilla/client';
import type { ConfigMap, ObjectSource, Secret } from '../pod/object-source';
import type { Clock } from '../util/clock';

export type ResourcesIn = (resource: 'configmaps' | 'secrets', namespace: string) => ResourceOps;

export class ApiObjectSource implements ObjectSource {
  private readonly cache = new Map<string, { at: number; value: unknown }>();

  constructor(
    private readonly resources: ResourcesIn,
    private readonly clock: Clock,
    private readonly ttlMs = 5000,
  ) {}

  private async read<T>(
    resource: 'configmaps' | 'secrets',
    namespace: string,
    name: string,
  ): Promise<T | undefined> {
    const key = `${resource}/${namespace}/${name}`;
    const hit = this.cache.get(key);
    const now = this.clock.now();
    if (hit && now - hit.at < this.ttlMs) return hit.value as T | undefined;
    let value: T | undefined;
    try {
      value = (await this.resources(resource, namespace).get(name)) as T;
    } catch (err) {
      if (!(isApiError(err) && err.status.code === 404)) throw err;
      value = undefined;
    }
    this.cache.set(key, { at: now, value });
    return value;
  }

  configMap(namespace: string, name: string): Promise<ConfigMap | undefined> {
    return this.read<ConfigMap>('configmaps', namespace, name);
  }

  secret(namespace: string, name: string): Promise<Secret | undefined> {
    return this.read<Secret>('secrets', namespace, name);
  }

  /** Forgets what was read (a watch said it changed). */
  invalidate(): void {
    this.cache.clear();
  }
}
