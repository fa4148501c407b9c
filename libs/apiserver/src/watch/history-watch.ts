import { apiErrors, KubeObject } from '@flotilla/api';
import { EventType, MSG_COMPACTED, prefixEnd } from '@flotilla/store';
import type { KvBackend } from '../storage/kv-backend';
import { decodeKv } from '../storage/object-codec';
import type { StoredForm } from '../storage/stored-forms';
import { EventQueue } from './event-queue';
import type { CacheWatchRequest } from './watch-cache';
import { ApiWatch, ApiWatchEvent, throughSelector } from './watch-event';

/**
 * A watch resuming from before the cache's window: its own store watch replays the history
 * (with previous values, for selector transitions). A compacted start ends it with one ERROR
 * event carrying 410 Expired.
 */
export function historyWatch(
  kv: KvBackend,
  req: CacheWatchRequest & { sinceRevision: number },
  capacity: number,
  form?: StoredForm,
): ApiWatch {
  const decode = (kv: Parameters<typeof decodeKv>[0]) =>
    form ? form.fromStored(decodeKv(kv)) : decodeKv(kv);
  const start = Buffer.from(req.keyPrefix);
  const store = kv.watch({
    key: start,
    rangeEnd: prefixEnd(start),
    startRevision: req.sinceRevision + 1,
    prevKv: true,
  });
  let lastSent = req.sinceRevision;
  let seen = req.sinceRevision;
  const queue = new EventQueue<ApiWatchEvent>(capacity, () => stop());
  const stop = () => {
    store.cancel();
    queue.end();
  };
  const send = (type: ApiWatchEvent['type'], object: KubeObject, revision: number) => {
    queue.push({
      type,
      object: req.transform && type !== 'ERROR' ? req.transform(object) : object,
      revision,
    });
    lastSent = revision;
  };
  void (async () => {
    try {
      for await (const resp of store) {
        if (resp.canceled) {
          if (resp.compactRevision !== undefined || resp.cancelReason === MSG_COMPACTED) {
            const gone = apiErrors.gone(
              `too old resource version: ${req.sinceRevision} (${resp.compactRevision ?? 0})`,
            );
            queue.push({ type: 'ERROR', object: gone.status, revision: 0 });
          }
          break;
        }
        for (const ev of resp.events) {
          const prev = ev.prevKv ? decode(ev.prevKv) : undefined;
          if (ev.type === EventType.PUT) {
            const object = decode(ev.kv);
            const type = throughSelector('put', req.matches, object, prev);
            if (type) send(type, object, ev.kv.modRevision);
          } else if (prev) {
            const object = {
              ...prev,
              metadata: { ...prev.metadata, resourceVersion: String(ev.kv.modRevision) },
            };
            const type = throughSelector('delete', req.matches, object, prev);
            if (type) send(type, object, ev.kv.modRevision);
          }
        }
        seen = Math.max(seen, resp.header.revision);
      }
    } finally {
      queue.end();
    }
  })();
  return {
    stop,
    progressRevision: () => Math.max(lastSent, seen),
    bookmark: () => {
      if (seen <= lastSent) return;
      lastSent = seen;
      queue.push({ type: 'BOOKMARK', object: req.bookmark(String(seen)), revision: seen });
    },
    [Symbol.asyncIterator]: () => queue,
  };
}
