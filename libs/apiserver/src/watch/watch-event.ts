import type { KubeObject } from '@flotilla/api';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One event as a watch client receives it; `json` is the object already serialized, if shared. */
export interface ApiWatchEvent {
  type: WatchEventType;
  object: KubeObject | Record<string, unknown>;
  json?: string;
  /** The store revision of the change (0 for synthetic events). */
  revision: number;
}

/** A running watch: iterate its events; stop() ends it (idempotent). */
export interface ApiWatch extends AsyncIterable<ApiWatchEvent> {
  stop(): void;
  /** The newest revision this watch has delivered or knows nothing happened up to. */
  progressRevision(): number;
  /** Queues a BOOKMARK event if the watch has progressed since the last one. */
  bookmark(): void;
}

/** The line written for one event: `{"type":...,"object":...}`. */
export function renderEvent(e: ApiWatchEvent): string {
  return `{"type":${JSON.stringify(e.type)},"object":${e.json ?? JSON.stringify(e.object)}}`;
}

/**
 * How a change looks through a selector: an object that starts matching is ADDED, one that stops
 * matching is DELETED (with its new state), one that never matched is not sent.
 */
export function throughSelector(
  change: 'put' | 'delete',
  matches: (o: KubeObject) => boolean,
  object: KubeObject,
  prev: KubeObject | undefined,
): 'ADDED' | 'MODIFIED' | 'DELETED' | undefined {
  const before = prev !== undefined && matches(prev);
  if (change === 'delete') return before ? 'DELETED' : undefined;
  const now = matches(object);
  if (now) return before ? 'MODIFIED' : 'ADDED';
  return before ? 'DELETED' : undefined;
}
