// A bare ResourceOps over fetch, so the control loops of libs/client can be tried against a real
// master before the REST client lands; swap in KubeClient.resource(...) once it has. Test-only:
// no failover, no rate limit, no protobuf.
import { ApiError, type KubeObject, type ResourceInfo } from '@flotilla/api';
import type {
  DeleteOptions,
  ListOptions,
  ListResult,
  PatchOptions,
  PatchType,
  ResourceOps,
  WatchEvent,
  WatchHandle,
  WatchOptions,
  WriteOptions,
} from '@flotilla/client';

const PATCH_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** Lets a test cut this client off (every call fails, open watches break) and drop its watches. */
export class FetchClient {
  cutOff = false;
  private readonly watches = new Set<AbortController>();

  constructor(readonly base: string) {}

  resource<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    namespace?: string,
  ): ResourceOps<T> {
    return new FetchResourceOps<T>(this, info, info.namespaced ? namespace : undefined);
  }

  /** Breaks every open watch stream, as a lost connection would. */
  dropWatches(): number {
    const n = this.watches.size;
    for (const w of this.watches) w.abort();
    this.watches.clear();
    return n;
  }

  cut(): void {
    this.cutOff = true;
    this.dropWatches();
  }

  heal(): void {
    this.cutOff = false;
  }

  async call(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<unknown> {
    if (this.cutOff) throw new Error('connect ECONNREFUSED (cut off by the test)');
    const res = await fetch(this.base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': contentType },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (res.status >= 400) throw apiError(res.status, parsed);
    return parsed;
  }

  watch(path: string, onLine: (e: WatchEvent) => void): Promise<WatchHandle> {
    if (this.cutOff) return Promise.reject(new Error('connect ECONNREFUSED (cut off by the test)'));
    const controller = new AbortController();
    this.watches.add(controller);
    return fetch(this.base + path, { signal: controller.signal }).then(async (res) => {
      if (res.status >= 400) {
        this.watches.delete(controller);
        throw apiError(res.status, JSON.parse(await res.text()) as Record<string, unknown>);
      }
      let stopped = false;
      const done = (async () => {
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        let buffered = '';
        try {
          for (;;) {
            const { value, done: ended } = await reader.read();
            if (ended) return;
            buffered += decoder.decode(value, { stream: true });
            let nl: number;
            while ((nl = buffered.indexOf('\n')) >= 0) {
              const line = buffered.slice(0, nl);
              buffered = buffered.slice(nl + 1);
              if (line.trim()) onLine(JSON.parse(line) as WatchEvent);
            }
          }
        } catch (err) {
          if (controller.signal.aborted && stopped) return;
          throw err;
        } finally {
          this.watches.delete(controller);
        }
      })();
      done.catch(() => undefined);
      return {
        done,
        stop: () => {
          stopped = true;
          controller.abort();
        },
      };
    });
  }
}

function apiError(status: number, body: Record<string, unknown>): ApiError {
  return new ApiError(
    status,
    String(body.reason ?? 'Unknown'),
    String(body.message ?? `HTTP ${status}`),
    body.details as Record<string, unknown> | undefined,
  );
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

class FetchResourceOps<T extends KubeObject> implements ResourceOps<T> {
  constructor(
    private readonly client: FetchClient,
    readonly info: ResourceInfo,
    readonly namespace: string | undefined,
  ) {}

  private path(name?: string, sub?: string, namespace = this.namespace): string {
    const root = this.info.group
      ? `/apis/${this.info.group}/${this.info.version}`
      : `/api/${this.info.version}`;
    const ns = namespace ? `/namespaces/${namespace}` : '';
    return `${root}${ns}/${this.info.plural}${name ? `/${name}` : ''}${sub ? `/${sub}` : ''}`;
  }

  get(name: string): Promise<T> {
    return this.client.call('GET', this.path(name)) as Promise<T>;
  }

  list(opts: ListOptions = {}): Promise<ListResult<T>> {
    return this.client.call('GET', this.path() + query({ ...opts })) as Promise<ListResult<T>>;
  }

  create(obj: T, opts: WriteOptions = {}): Promise<T> {
    const ns = this.namespace ?? obj.metadata.namespace;
    return this.client.call(
      'POST',
      this.path(undefined, undefined, ns) + query({ dryRun: opts.dryRun ? 'All' : undefined }),
      obj,
    ) as Promise<T>;
  }

  update(obj: T): Promise<T> {
    return this.client.call(
      'PUT',
      this.path(obj.metadata.name, undefined, this.namespace ?? obj.metadata.namespace),
      obj,
    ) as Promise<T>;
  }

  updateStatus(obj: T): Promise<T> {
    return this.client.call(
      'PUT',
      this.path(obj.metadata.name, 'status', this.namespace ?? obj.metadata.namespace),
      obj,
    ) as Promise<T>;
  }

  patch(name: string, patch: unknown, type: PatchType, _opts?: PatchOptions): Promise<T> {
    return this.client.call('PATCH', this.path(name), patch, PATCH_TYPES[type]) as Promise<T>;
  }

  patchStatus(name: string, patch: unknown, type: PatchType): Promise<T> {
    return this.client.call(
      'PATCH',
      this.path(name, 'status'),
      patch,
      PATCH_TYPES[type],
    ) as Promise<T>;
  }

  delete(name: string, opts: DeleteOptions = {}): Promise<T | undefined> {
    return this.client.call('DELETE', this.path(name), {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      ...opts,
    }) as Promise<T>;
  }

  watch(opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void): Promise<WatchHandle> {
    return this.client.watch(
      this.path() + query({ watch: 'true', ...opts }),
      onEvent as (e: WatchEvent) => void,
    );
  }
}
