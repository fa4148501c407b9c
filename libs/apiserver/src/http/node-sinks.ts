import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { podStreamPath } from '../proxy/kubelet-proxy';
import { nodeProxyPath } from '../proxy/node-proxy';
import type { UserInfo } from '../auth/user-info';
import type { ApiHandler, ApiRequest, ApiResponse } from './api-handler';
import { apiErrors, encodeWatchEventFrame, PROTOBUF_WATCH_MEDIA_TYPE } from '@flotilla/api';
import type { ApiWatchEvent } from '../watch/watch-event';
import { EventSink, streamWatch } from './watch-stream';

export interface WatchStreamSettings {
  bookmarkMs: number;
  /** Counts a running watch; returns the function that uncounts it. */
  started?: (resource: string) => () => void;
}

/** A chunked HTTP response: one JSON event per line, each written (flushed) as it comes. */
export function httpSink(req: IncomingMessage, res: ServerResponse): EventSink {
  return {
    write(event) {
      if (res.destroyed) return;
      if (!res.write(typeof event === 'string' ? `${event}\n` : event)) {
        return new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.once('drain', done);
          res.once('close', done);
        });
      }
    },
    end() {
      if (!res.writableEnded) res.end();
    },
    onClose(cb) {
      res.once('close', cb);
      req.once('close', cb);
    },
  };
}

/** Serves a watch on an HTTP response that the framework handed over. */
export async function writeWatchResponse(
  req: IncomingMessage,
  res: ServerResponse,
  response: Extract<ApiResponse, { kind: 'watch' }>,
  resource: string,
  settings: WatchStreamSettings,
): Promise<void> {
  res.writeHead(200, {
    'content-type': response.protobuf ? PROTOBUF_WATCH_MEDIA_TYPE : 'application/json',
    'cache-control': 'no-cache, private',
    'x-content-type-options': 'nosniff',
  });
  res.flushHeaders();
  const done = settings.started?.(resource);
  await streamWatch(response.watch, httpSink(req, res), {
    timeoutMs: response.timeoutMs,
    bookmarks: response.bookmarks,
    bookmarkMs: settings.bookmarkMs,
    onEnd: done,
    render: watchRenderer(response),
  });
}

/** Protobuf frames when the client asked for them (JSON lines otherwise: the default). */
export function watchRenderer(
  response: Extract<ApiResponse, { kind: 'watch' }>,
): ((e: ApiWatchEvent) => Uint8Array) | undefined {
  const pb = response.protobuf;
  if (!pb) return undefined;
  return (e) => {
    try {
      return encodeWatchEventFrame(pb.apiVersion, e.type, e.object as Record<string, unknown>);
    } catch (err) {
      // An object the schema cannot carry: the stream says so and ends, as an ERROR event.
      const status = apiErrors.internal(
        `cannot write the watch event as protobuf: ${err instanceof Error ? err.message : String(err)}`,
      ).status;
      return encodeWatchEventFrame(pb.apiVersion, 'ERROR', status as Record<string, unknown>);
    }
  };
}

function wsSink(socket: WebSocket): EventSink {
  return {
    write(event) {
      if (socket.readyState !== WebSocket.OPEN) return;
      return new Promise<void>((resolve) => socket.send(event, () => resolve()));
    },
    end() {
      if (socket.readyState === WebSocket.OPEN) socket.close(1000);
    },
    onClose(cb) {
      socket.once('close', cb);
    },
  };
}

/**
 * The same watches over WebSocket for browsers: ws://host:port/api/v1/namespaces/x/pods?watch=true
 * sends each event's JSON as one text frame. Nest's WsAdapter matches one fixed path per gateway,
 * so the API server's 'upgrade' event is handled here for every /api and /apis path.
 */
export function attachWebSocketWatch(
  server: Server,
  handler: ApiHandler,
  settings: WatchStreamSettings,
  /**
   * When given: who the upgrade request is from; undefined refuses it with a 401 before any
   * WebSocket. The handler then authorizes the watch as that user.
   */
  authenticate?: (req: IncomingMessage) => Promise<UserInfo | undefined>,
): () => void {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // pods/exec, attach and portforward and nodes/proxy upgrades are attachPodStreams'.
    if (podStreamPath(url.pathname) || nodeProxyPath(url.pathname)) return;
    if (!/^\/apis?(\/|$)/.test(url.pathname)) {
      if (server.listenerCount('upgrade') === 1) socket.destroy();
      return;
    }
    void (authenticate ? authenticate(req) : Promise.resolve(null)).then((user) => {
      if (user === undefined) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      upgrade(req, socket, head, url, user ?? undefined);
    });
  };
  const upgrade = (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    url: URL,
    user: UserInfo | undefined,
  ) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => undefined);
      const query = new URLSearchParams(url.search);
      if (!query.has('watch')) query.set('watch', 'true');
      const apiReq: ApiRequest = {
        method: 'GET',
        path: url.pathname,
        query,
        headers: req.headers,
        user,
      };
      void handler.handle(apiReq).then(
        async (response) => {
          if (response.kind === 'json') {
            ws.send(JSON.stringify(response.body ?? null), () => ws.close(1000));
            return;
          }
          if (response.kind === 'bytes') {
            ws.send(response.body, () => ws.close(1000));
            return;
          }
          if (response.kind === 'kubelet') {
            ws.close(1003, 'pods/log is not served over WebSocket here');
            return;
          }
          const resource = url.pathname.split('/').filter(Boolean).slice(-1)[0] ?? '';
          const done = settings.started?.(resource);
          await streamWatch(response.watch, wsSink(ws), {
            timeoutMs: response.timeoutMs,
            bookmarks: response.bookmarks,
            render: watchRenderer(response),
            bookmarkMs: settings.bookmarkMs,
            onEnd: done,
          });
        },
        () => ws.close(1011),
      );
    });
  };
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
    for (const c of wss.clients) c.terminate();
    wss.close();
  };
}
