import { apiErrors, ApiError, apiVersionOf, KubeObject, ResourceInfo } from '@flotilla/api';
import { StoreError, prefixEnd } from '@flotilla/store';
import { listPrefix } from '../storage/key-layout';
import { storedFormOf } from '../storage/stored-forms';
import {
  CONTINUE_EXPIRED_MESSAGE,
  decodeContinue,
  encodeContinue,
} from '../storage/continue-token';
import type { ObjectStore } from '../storage/object-store';
import { historyWatch } from '../watch/history-watch';
import type { WatchCaches } from '../watch/watch-caches';
import type { ApiWatch } from '../watch/watch-event';
import { ListQuery, matcherOf } from './list-query';

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

/** How long a request for a resourceVersion this master has not reached yet may wait. */
const FUTURE_WAIT_MS = 3000;

/** The read paths: lists with resourceVersion semantics and paging, and watches. */
export class ObjectReader {
  constructor(
    private readonly store: ObjectStore,
    private readonly caches: WatchCaches,
    private readonly watcherQueue = 10_000,
  ) {}

  async list(r: ResourceInfo, namespace: string | undefined, q: ListQuery): Promise<ListResult> {
    const prefix = listPrefix(r, r.namespaced ? namespace : undefined);
    const matches = matcherOf(q);
    const filter = q.labelSelector || q.fieldSelector ? matches : undefined;
    if (q.continueToken) {
      const point = decodeContinue(q.continueToken);
      try {
        return this.page(
          await this.store.for(r).list(prefix, {
            revision: point.revision,
            serializable: true,
            startKey: prefix + point.startKey,
            limit: q.limit,
            filter,
          }),
          prefix,
        );
      } catch (err) {
        if (err instanceof StoreError && err.code === 'compacted') {
          throw apiErrors.gone(CONTINUE_EXPIRED_MESSAGE);
        }
        throw mapStoreError(err);
      }
    }
    const rv = q.resourceVersion;
    if (rv !== undefined && q.resourceVersionMatch === 'Exact') {
      await this.awaitRevision(Number(rv));
      try {
        return this.page(
          await this.store.for(r).list(prefix, {
            revision: Number(rv),
            serializable: true,
            limit: q.limit,
            filter,
          }),
          prefix,
        );
      } catch (err) {
        if (err instanceof StoreError && err.code === 'compacted') {
          throw apiErrors.gone('The resourceVersion for the provided list is too old.');
        }
        throw mapStoreError(err);
      }
    }
    if (rv !== undefined && !q.limit) {
      // "0" (any) or NotOlderThan: served from this master's watch cache once it is recent enough.
      const cache = this.caches.for(r);
      await cache.start();
      if (rv !== '0' && !(await cache.waitFor(Number(rv), FUTURE_WAIT_MS))) {
        throw tooLarge(Number(rv), cache.revision);
      }
      const snap = cache.snapshot(prefix, matches);
      return { items: snap.items, resourceVersion: String(snap.revision) };
    }
    if (rv !== undefined && rv !== '0') await this.awaitRevision(Number(rv));
    try {
      return this.page(
        await this.store
          .for(r)
          .list(prefix, { serializable: rv !== undefined, limit: q.limit, filter }),
        prefix,
      );
    } catch (err) {
      throw mapStoreError(err);
    }
  }

  async watch(
    r: ResourceInfo,
    namespace: string | undefined,
    q: ListQuery,
    transform?: (o: KubeObject) => Record<string, unknown>,
  ): Promise<ApiWatch> {
    const keyPrefix = listPrefix(r, r.namespaced ? namespace : undefined);
    const cache = this.caches.for(r);
    await cache.start();
    const apiVersion = apiVersionOf(r);
    const req = {
      keyPrefix,
      matches: matcherOf(q),
      transform,
      bookmark: (resourceVersion: string) => ({
        kind: r.kind,
        apiVersion,
        metadata: { resourceVersion },
      }),
    };
    const rv = q.resourceVersion;
    if (rv === undefined || rv === '0') {
      if (rv === undefined) {
        // Unset means "the latest": catch up with a linearizable read first.
        const latest = await this.store.kv
          .range({
            key: Buffer.from(keyPrefix),
            rangeEnd: prefixEnd(Buffer.from(keyPrefix)),
            countOnly: true,
          })
          .catch((err) => {
            throw mapStoreError(err);
          });
        await cache.waitFor(latest.header.revision, FUTURE_WAIT_MS);
      }
      return cache.watch(req)!;
    }
    const since = Number(rv);
    await this.awaitRevision(since);
    return (
      cache.watch({ ...req, sinceRevision: since }) ??
      historyWatch(
        this.store.kv,
        { ...req, sinceRevision: since },
        this.watcherQueue,
        storedFormOf(r),
      )
    );
  }

  /** Waits (briefly) for this master to apply `revision`; 504 if it is still in the future. */
  private async awaitRevision(revision: number): Promise<void> {
    const deadline = Date.now() + FUTURE_WAIT_MS;
    while (this.store.kv.revision() < revision && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const current = this.store.kv.revision();
    if (current < revision) throw tooLarge(revision, current);
  }

  private page(
    p: { items: KubeObject[]; revision: number; nextKey?: string; remaining?: number },
    prefix: string,
  ): ListResult {
    const out: ListResult = { items: p.items, resourceVersion: String(p.revision) };
    if (p.nextKey !== undefined) {
      out.continueToken = encodeContinue({
        revision: p.revision,
        startKey: p.nextKey.slice(prefix.length),
      });
      if (p.remaining !== undefined) out.remainingItemCount = p.remaining;
    }
    return out;
  }
}

function tooLarge(wanted: number, current: number): ApiError {
  const err = apiErrors.timeout(`Too large resource version: ${wanted}, current: ${current}`);
  (err.status as { details?: Record<string, unknown> }).details = {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  };
  return err;
}

/** Store and Raft failures as Status errors. */
export function mapStoreError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  const code = (err as { code?: string })?.code;
  const message = (err as Error)?.message ?? String(err);
  switch (code) {
    case 'compacted':
      return apiErrors.gone(`The resourceVersion for the provided request is too old: ${message}`);
    case 'future-revision':
      return apiErrors.timeout(`Too large resource version: ${message}`);
    case 'no-leader':
    case 'stopping':
    case 'leader-changed':
      return apiErrors.serviceUnavailable(`the storage has no leader right now, retry: ${message}`);
    case 'timeout':
      return apiErrors.timeout(`request did not complete within the allowed duration: ${message}`);
    case 'too-many-requests':
      return new ApiError(429, 'TooManyRequests', `too many requests: ${message}`, {
        retryAfterSeconds: 1,
      });
    default:
      return apiErrors.internal(message);
  }
}
