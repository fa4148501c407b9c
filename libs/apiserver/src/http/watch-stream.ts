import type { ApiWatch, ApiWatchEvent } from '../watch/watch-event';
import { renderEvent } from '../watch/watch-event';

/** Where a watch's events go: an HTTP chunked response or a WebSocket. */
export interface EventSink {
  /** Writes one event (a JSON line, or a protobuf frame); resolves when it can take more. */
  write(event: string | Uint8Array): Promise<void> | void;
  end(): void;
  /** Registers a callback for the client going away. */
  onClose(cb: () => void): void;
}

export interface StreamOptions {
  timeoutMs: number;
  /** Send BOOKMARK events every bookmarkMs while the watch runs. */
  bookmarks: boolean;
  bookmarkMs: number;
  /** Called once when the stream is over. */
  onEnd?: () => void;
  /** How an event is written (a JSON line by default). */
  render?: (e: ApiWatchEvent) => string | Uint8Array;
}

/**
 * Pumps a watch into a sink, one event per write, until the watch ends, the timeout passes or
 * the client leaves. Bounded by the timeout.
 */
export async function streamWatch(
  watch: ApiWatch,
  sink: EventSink,
  opts: StreamOptions,
): Promise<void> {
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(timeout);
    if (ticker) clearInterval(ticker);
    watch.stop();
  };
  const timeout = setTimeout(finish, opts.timeoutMs);
  const ticker = opts.bookmarks ? setInterval(() => watch.bookmark(), opts.bookmarkMs) : undefined;
  sink.onClose(finish);
  try {
    for await (const event of watch as AsyncIterable<ApiWatchEvent>) {
      if (finished) break;
      await sink.write((opts.render ?? renderEvent)(event));
      if (event.type === 'ERROR') break;
    }
  } finally {
    finish();
    sink.end();
    opts.onEnd?.();
  }
}
