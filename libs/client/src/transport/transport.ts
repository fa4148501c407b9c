// How the REST client reaches an API server: one interface, two implementations (HTTP to a set of
// masters, and in-process calls to an API handler), so the same client code runs over either.

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RestRequest {
  method: HttpMethod;
  /** Absolute API path without the query, e.g. /api/v1/namespaces/default/pods. */
  path: string;
  query?: URLSearchParams;
  /** Lower-case names. */
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** Safe to send twice: retried on another master when its first outcome is unknown. */
  idempotent: boolean;
  /** Overrides the transport's response deadline for this request (not for streams). */
  timeoutMs?: number;
}

export interface RestResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string | undefined>;
  body: Buffer;
  /** Which master answered (for messages and tests). */
  endpoint: string;
}

/** An open streaming response (a watch): chunks go to the callback given to `stream`. */
export interface RestStream {
  readonly endpoint: string;
  /** Ends the stream from this side; `done` then resolves. */
  stop(): void;
  /** Resolves when the server ends the stream or stop() is called; rejects when it breaks. */
  readonly done: Promise<void>;
}

export type StreamOpening =
  /** The server answered with something other than 200: an ordinary response (a Status). */
  { kind: 'response'; response: RestResponse } | { kind: 'stream'; stream: RestStream };

export interface Transport {
  request(req: RestRequest): Promise<RestResponse>;
  /** Opens a streaming GET; `onData` receives the body as it arrives. */
  stream(req: RestRequest, onData: (chunk: Buffer) => void): Promise<StreamOpening>;
  /** The endpoints, for messages ("https://10.0.0.1:6443, ..."). */
  describe(): string;
  /** Ends open streams and closes pooled connections. */
  close(): void;
}
