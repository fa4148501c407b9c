// A transport without sockets: requests go straight to an API server's handler in this process,
// and answers come back as the bytes HTTP would carry (JSON text, protobuf bytes, watch lines), so
// the REST client decodes them exactly as it decodes a real server's and never shares an object
// with the server. The shapes below mirror libs/apiserver's ApiHandler structurally, so this
// library does not depend on it.
import { encodeWatchEventFrame } from '@flotilla/api';
import { NotSentError } from './errors';
import type { RestRequest, RestResponse, RestStream, StreamOpening, Transport } from './transport';

export interface InProcessRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body?: Buffer;
  /** Who the calling component is: the server authorizes it as it would a certificate's user. */
  user?: InProcessUser;
}

/** A component's identity in the master (system:kube-scheduler, ...), as the API server sees users. */
export interface InProcessUser {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface InProcessWatchEvent {
  type: string;
  object: unknown;
  /** The object already serialized, when the server shares one rendering among watchers. */
  json?: string;
}

export interface InProcessWatch extends AsyncIterable<InProcessWatchEvent> {
  stop(): void;
  /** Queues a BOOKMARK if the watch progressed since the last one. */
  bookmark(): void;
}

export type InProcessResponse =
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  | {
      kind: 'bytes';
      status: number;
      contentType: string;
      body: Uint8Array;
      headers?: Record<string, string>;
    }
  | {
      kind: 'watch';
      watch: InProcessWatch;
      timeoutMs: number;
      bookmarks: boolean;
      /** Protobuf frames for a client that accepts only protobuf (the group version to name). */
      protobuf?: { apiVersion: string };
    };

/** What the transport calls: an API server's handler and its bookmark period. */
export interface InProcessApi {
  handle(req: InProcessRequest): Promise<InProcessResponse>;
  /** How often a watch that asked for bookmarks is offered one. */
  bookmarkMs: number;
}

const ENDPOINT = 'in-process';

export class InProcessTransport implements Transport {
  private readonly open = new Set<RestStream>();
  private closed = false;

  /** `user`: the identity every request of this transport carries. */
  constructor(
    private readonly api: InProcessApi,
    private readonly user?: InProcessUser,
  ) {}

  describe(): string {
    return ENDPOINT;
  }

  async request(req: RestRequest): Promise<RestResponse> {
    const answer = await this.call(req);
    if (answer.kind === 'watch') {
      answer.watch.stop();
      throw new Error(`${req.method} ${req.path}: the server answered a watch to a plain request`);
    }
    return toResponse(answer);
  }

  async stream(req: RestRequest, onData: (chunk: Buffer) => void): Promise<StreamOpening> {
    const answer = await this.call(req);
    if (answer.kind !== 'watch') return { kind: 'response', response: toResponse(answer) };
    const stream = this.pump(answer, onData);
    return { kind: 'stream', stream };
  }

  close(): void {
    this.closed = true;
    for (const s of this.open) s.stop();
  }

  private call(req: RestRequest): Promise<InProcessResponse> {
    if (this.closed) throw new NotSentError(ENDPOINT, 'the client was closed');
    return this.api.handle({
      method: req.method,
      path: req.path,
      query: new URLSearchParams(req.query),
      headers: { ...req.headers },
      body: req.body ? Buffer.from(req.body) : undefined,
      ...(this.user ? { user: this.user } : {}),
    });
  }

  /** Feeds the watch's events to `onData` as the lines a chunked HTTP answer would carry. */
  private pump(
    answer: Extract<InProcessResponse, { kind: 'watch' }>,
    onData: (chunk: Buffer) => void,
  ): RestStream {
    const { watch } = answer;
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      watch.stop();
    };
    const timeout = setTimeout(stop, answer.timeoutMs);
    const ticker = answer.bookmarks
      ? setInterval(() => watch.bookmark(), this.api.bookmarkMs)
      : undefined;
    const stream: { endpoint: string; stop(): void; done: Promise<void> } = {
      endpoint: ENDPOINT,
      stop,
      done: Promise.resolve(),
    };
    this.open.add(stream);
    stream.done = (async () => {
      try {
        for await (const e of watch) {
          if (stopped) break;
          if (answer.protobuf) {
            const frame = encodeWatchEventFrame(
              answer.protobuf.apiVersion,
              e.type,
              e.object as Record<string, unknown>,
            );
            onData(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
            continue;
          }
          const object = e.json ?? JSON.stringify(e.object);
          onData(Buffer.from(`{"type":${JSON.stringify(e.type)},"object":${object}}\n`));
          if (e.type === 'ERROR') break;
        }
      } finally {
        clearTimeout(timeout);
        clearInterval(ticker);
        stop();
        this.open.delete(stream);
      }
    })();
    return stream;
  }
}

function toResponse(answer: Exclude<InProcessResponse, { kind: 'watch' }>): RestResponse {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(answer.headers ?? {})) headers[k.toLowerCase()] = v;
  if (answer.kind === 'bytes') {
    headers['content-type'] ??= answer.contentType;
    return { status: answer.status, headers, body: Buffer.from(answer.body), endpoint: ENDPOINT };
  }
  headers['content-type'] ??= 'application/json';
  const body =
    answer.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(answer.body));
  return { status: answer.status, headers, body, endpoint: ENDPOINT };
}
