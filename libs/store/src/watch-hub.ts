// Fan-out of store events to watchers, after etcd's watchableStore: watchers that are caught up
// ("synced") get each applied batch's events as it is published; watchers starting in the past
// ("unsynced") first replay history from disk in bounded batches, then join the synced group.
// A synced watcher whose consumer lets more than `maxBufferedEvents` pile up is cancelled (the
// client re-watches from its last revision); catch-up instead waits for the consumer to drain.
import { MSG_COMPACTED } from './errors';
import { indexKey } from './layout';
import { keySpan } from './tree-index';
import { WatchEvent, WatchOptions, WatchResponse } from './types';
import { Watcher } from './watcher';

export type HistoryRead =
  | { compacted: number }
  | {
      events: WatchEvent[];
      /** Revision to read from next. */
      next: number;
    };

export interface HistorySource {
  /** Published revision and compact revision. */
  current(): { revision: number; compactRevision: number };
  /** Events of revisions [from, to], about `maxRecords` at most, never splitting a revision. */
  readHistory(from: number, to: number, maxRecords: number): Promise<HistoryRead>;
}

export interface WatchHubOptions {
  maxBufferedEvents: number;
  catchUpBatch: number;
}

export class WatchHub {
  private nextId = 1;
  private revision: number;
  private readonly unsynced = new Set<Watcher>();
  private readonly exact = new Map<string, Set<Watcher>>();
  private readonly ranged = new Set<Watcher>();
  private prevKvWatchers = 0;

  constructor(
    private readonly source: HistorySource,
    private readonly options: WatchHubOptions,
  ) {
    this.revision = source.current().revision;
  }

  get size(): number {
    let n = this.unsynced.size + this.ranged.size;
    for (const set of this.exact.values()) n += set.size;
    return n;
  }

  /** Whether applied events should carry the previous version. */
  wantsPrevKv(): boolean {
    return this.prevKvWatchers > 0;
  }

  watch(opts: WatchOptions): Watcher {
    const start = opts.startRevision || this.revision + 1;
    const w = new Watcher(
      this.nextId++,
      keySpan(opts.key, opts.rangeEnd),
      start,
      opts.prevKv === true,
      opts.filters?.noPut === true,
      opts.filters?.noDelete === true,
      opts.progressNotify === true,
      (x) => this.remove(x),
    );
    if (w.prevKv) this.prevKvWatchers++;
    if (start > this.revision) this.addSynced(w);
    else {
      this.unsynced.add(w);
      void this.catchUp(w);
    }
    return w;
  }

  /** Delivers one published batch: `events` are in revision order, `revision` is the newest. */
  notify(events: WatchEvent[], revision: number): void {
    this.revision = revision;
    if (events.length === 0) return;
    // Keys once per event, not once per event and watcher.
    const keys = events.map((e) => indexKey(e.kv.key));
    const exact = new Map<Watcher, number[]>();
    keys.forEach((key, i) => {
      const ws = this.exact.get(key);
      if (ws === undefined) return;
      for (const w of ws) {
        const mine = exact.get(w);
        if (mine === undefined) exact.set(w, [i]);
        else mine.push(i);
      }
    });
    for (const [w, mine] of exact) {
      const selected = w.select(
        mine.map((i) => events[i]),
        mine.map((i) => keys[i]),
      );
      if (selected.length > 0) this.deliver(w, selected, revision);
    }
    for (const w of this.ranged) {
      const selected = w.select(events, keys);
      if (selected.length > 0) this.deliver(w, selected, revision);
    }
  }

  /**
   * Sends a progress notification (no events, header = store revision) to idle synced watchers:
   * all of them, or only those created with progressNotify.
   */
  progress(all = false): void {
    for (const w of this.syncedWatchers()) {
      if (w.idle && (all || w.progressNotify)) {
        w.push({
          header: { revision: this.revision },
          watchId: w.id,
          events: [],
          progressNotify: true,
        });
      }
    }
  }

  /** After the store's state was replaced wholesale: every watcher replays from where it was. */
  resync(): void {
    for (const w of [...this.syncedWatchers()]) {
      this.removeSynced(w);
      w.nextRevision = Math.max(w.minRevision, this.revision + 1);
      this.unsynced.add(w);
      w.group = 'unsynced';
      void this.catchUp(w);
    }
    this.revision = this.source.current().revision;
  }

  /** Ends every watch with a final cancelled response. */
  closeAll(reason: string): void {
    for (const w of [...this.unsynced, ...this.syncedWatchers()]) this.cancel(w, reason);
  }

  private *syncedWatchers(): Iterable<Watcher> {
    yield* this.ranged;
    for (const set of this.exact.values()) yield* set;
  }

  private deliver(w: Watcher, events: WatchEvent[], revision: number): void {
    if (w.group === 'synced' && w.bufferedEvents + events.length > this.options.maxBufferedEvents) {
      this.cancel(
        w,
        `watcher canceled: consumer fell behind by more than ${this.options.maxBufferedEvents} events; re-watch from revision ${events[0].kv.modRevision}`,
      );
      return;
    }
    w.push({ header: { revision }, watchId: w.id, events });
  }

  private cancel(w: Watcher, reason: string, compactRevision?: number): void {
    this.remove(w);
    const resp: WatchResponse = {
      header: { revision: this.revision },
      watchId: w.id,
      events: [],
      canceled: true,
      cancelReason: reason,
    };
    if (compactRevision !== undefined) resp.compactRevision = compactRevision;
    w.push(resp);
    w.end();
  }

  private async catchUp(w: Watcher): Promise<void> {
    // Each round either advances nextRevision, ends the watcher, or moves it to synced.
    while (w.group === 'unsynced') {
      const { revision, compactRevision } = this.source.current();
      if (w.nextRevision < compactRevision) {
        this.cancel(w, MSG_COMPACTED, compactRevision);
        return;
      }
      if (w.nextRevision > revision) {
        this.unsynced.delete(w);
        this.addSynced(w);
        return;
      }
      if (w.bufferedEvents >= this.options.maxBufferedEvents) {
        await w.drained();
        continue;
      }
      let read: HistoryRead;
      try {
        read = await this.source.readHistory(w.nextRevision, revision, this.options.catchUpBatch);
      } catch (err) {
        this.cancel(w, `watcher canceled: reading history failed: ${(err as Error).message}`);
        return;
      }
      if (w.group !== 'unsynced') return;
      if ('compacted' in read) {
        this.cancel(w, MSG_COMPACTED, read.compacted);
        return;
      }
      const selected = w.select(read.events);
      if (selected.length > 0) w.push({ header: { revision }, watchId: w.id, events: selected });
      w.nextRevision = read.next;
    }
  }

  private addSynced(w: Watcher): void {
    w.group = 'synced';
    if (w.span.single) {
      let set = this.exact.get(w.span.start);
      if (set === undefined) this.exact.set(w.span.start, (set = new Set()));
      set.add(w);
    } else this.ranged.add(w);
  }

  private removeSynced(w: Watcher): void {
    if (w.span.single) {
      const set = this.exact.get(w.span.start);
      set?.delete(w);
      if (set?.size === 0) this.exact.delete(w.span.start);
    } else this.ranged.delete(w);
  }

  private remove(w: Watcher): void {
    if (w.group === 'closed') return;
    if (w.group === 'unsynced') this.unsynced.delete(w);
    else this.removeSynced(w);
    if (w.prevKv) this.prevKvWatchers--;
    w.group = 'closed';
  }
}
