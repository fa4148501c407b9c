// One gRPC call on an HTTP/2 stream: length-prefixed messages in, messages and a status out.
// It offers handlers the part of grpc-js's server call API that the etcd services use ('data',
// 'end', 'cancelled', 'close', 'finish', 'drain'; write, end, pause, resume, sendMetadata; and
// emit('error', status) to end the call with that status), so the services work unchanged.
// A call with a grpc-timeout ends with DEADLINE_EXCEEDED when it passes, and tells whoever
// listens through onDone() (the RequestContext the backend sees) that the caller is gone.
import { EventEmitter } from 'node:events';
import { gunzipSync, inflateSync } from 'node:zlib';
import { status as Code } from '@grpc/grpc-js';
import type { RequestContext } from '../backend';
import type { BufferPool } from './buffer-pool';
import type { DeadlineWheel, Expiring, WheelSlot } from './deadline-wheel';
import type { H2Connection } from './h2-connection';
import { GRPC_RESPONSE_HEADERS, literalField } from './h2-frames';
import { MESSAGE_PREFIX_BYTES, frameMessage } from './message-prefix';
import type { H2Stream, StreamHandler } from './h2-stream';

export interface GrpcStatus {
  code: number;
  details?: string;
}

export interface CallMethod {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  deserialize(bytes: Buffer): unknown;
  serialize(value: unknown): Buffer;
}

/** What a server's calls report, for metrics (etcd exports the same as grpc_server_*). */
export interface GrpcCallObserver {
  started(method: CallMethod): void;
  /** Once per call: the status it ended with (CANCELLED when the client went away). */
  handled(method: CallMethod, code: number): void;
  received(method: CallMethod): void;
  sent(method: CallMethod, messages: number): void;
}

/** What the calls of one server share. */
export interface CallContext {
  maxReceiveBytes: number;
  /** Where large answers are encoded, and go back once sent. */
  pool: BufferPool;
  /** Where calls with a grpc-timeout wait for it. */
  deadlines: DeadlineWheel;
  observer?: GrpcCallObserver;
}

/**
 * A response that encodes itself after the 5-byte message prefix, into a buffer of its own
 * (saves copying a large answer into a frame).
 */
export interface SelfFramingResponse {
  /** `take(n)` gives a buffer of at least n bytes to encode into (from the server's pool). */
  encodeFramed(take?: (bytes: number) => Buffer): Buffer;
}

function isSelfFraming(message: unknown): message is SelfFramingResponse {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as Partial<SelfFramingResponse>).encodeFramed === 'function'
  );
}

/** grpc-message is percent-encoded UTF-8 (gRPC over HTTP/2, "Responses"). */
export function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function statusFields(status: GrpcStatus): Buffer[] {
  const fields = [literalField('grpc-status', String(status.code))];
  if (status.details) fields.push(literalField('grpc-message', percentEncode(status.details)));
  return fields;
}

const OK_TRAILERS = Buffer.concat(statusFields({ code: Code.OK }));

/** A status block: trailers after headers, or the whole answer ("Trailers-Only"). */
export function statusBlock(status: GrpcStatus, headersSent: boolean): Buffer {
  if (status.code === Code.OK && !status.details && headersSent) return OK_TRAILERS;
  const fields = statusFields(status);
  return Buffer.concat(headersSent ? fields : [GRPC_RESPONSE_HEADERS, ...fields]);
}

/** Whatever a handler hands to callback() or emit('error') as a failure, as a status. */
export function toStatus(err: unknown): GrpcStatus {
  if (typeof err === 'object' && err !== null) {
    const e = err as { code?: unknown; details?: unknown; message?: unknown };
    const code = typeof e.code === 'number' ? e.code : Code.UNKNOWN;
    const details =
      typeof e.details === 'string' ? e.details : typeof e.message === 'string' ? e.message : '';
    return { code, details };
  }
  return { code: Code.UNKNOWN, details: String(err) };
}

/** etcd's (grpc-go's) words for a call whose deadline passed on the server. */
export const DEADLINE_EXCEEDED_DETAILS = 'context deadline exceeded';

export class GrpcServerCall
  extends EventEmitter
  implements StreamHandler, RequestContext, Expiring
{
  /** The request of a unary or server-streaming call. */
  request: unknown;
  cancelled = false;
  /** When the client stops waiting (Date.now() milliseconds), if it sent a grpc-timeout. */
  deadline: number | undefined;
  /** The deadline wheel's links, while the call waits in it. */
  wheelPrev: Expiring | WheelSlot | undefined;
  wheelNext: Expiring | WheelSlot | undefined;
  wheelSlot: WheelSlot | undefined;
  private ended = false;
  private paused = false;
  private held: unknown[] = [];
  private heldEnd = false;
  private parts: Buffer[] = [];
  private have = 0;
  private need = -1;
  private compressed = false;
  private received = 0;

  constructor(
    private readonly connection: H2Connection,
    private readonly stream: H2Stream,
    private readonly method: CallMethod,
    private readonly context: CallContext,
    /** Runs once the request of a unary or server-streaming call is complete. */
    private readonly onRequest: (call: GrpcServerCall) => void,
  ) {
    super();
    // As in grpc-js: emitting 'error' on a call ends it with that status.
    this.on('error', (err: unknown) => this.endWithStatus(toStatus(err)));
  }

  get path(): string {
    return this.method.path;
  }

  /** Ends the call with DEADLINE_EXCEEDED once `ms` have passed, unless it ended before. */
  startDeadline(ms: number, now = Date.now()): void {
    this.deadline = now + ms;
    this.context.deadlines.add(this, this.deadline);
  }

  onDone(listener: () => void): () => void {
    if (this.cancelled) {
      listener();
      return () => undefined;
    }
    this.once('cancelled', listener);
    return () => this.off('cancelled', listener);
  }

  // --- from the stream ---

  onData(chunk: Buffer, end: boolean): void {
    if (this.ended) return;
    if (chunk.length > 0) {
      this.parts.push(chunk);
      this.have += chunk.length;
      this.readMessages();
    }
    if (!end || this.ended) return;
    if (this.have > 0 || this.need >= 0) {
      return this.endWithStatus({ code: Code.INTERNAL, details: 'request ends inside a message' });
    }
    if (this.method.requestStream) this.deliverEnd();
    else if (this.received !== 1) {
      this.endWithStatus({
        code: Code.UNIMPLEMENTED,
        details: 'expected exactly one request message',
      });
    } else this.onRequest(this);
  }

  onAbort(): void {
    this.clearDeadline();
    if (!this.ended) {
      this.ended = true;
      this.cancelled = true;
      this.context.observer?.handled(this.method, Code.CANCELLED);
      this.emit('cancelled');
    }
    this.emit('close');
  }

  onDrain(): void {
    this.emit('drain');
  }

  // --- for handlers ---

  sendMetadata(): void {
    this.connection.sendHeaders(this.stream, GRPC_RESPONSE_HEADERS);
  }

  write(message: unknown): boolean {
    if (this.ended) return true;
    return this.writeFramed(frameMessage(this.method.serialize(message)));
  }

  /** Writes bytes that already are length-prefixed gRPC messages: `messages` of them. */
  writeFramed(framed: Buffer, messages = 1): boolean {
    if (this.ended) return true;
    this.context.observer?.sent(this.method, messages);
    this.sendMetadata();
    return this.connection.sendData(this.stream, framed);
  }

  /** The answer of a unary call. */
  respond(message: unknown): void {
    if (this.ended) return;
    let bytes: Buffer;
    try {
      if (isSelfFraming(message)) return this.respondSelfFramed(message);
      bytes = this.method.serialize(message);
    } catch (err) {
      return this.endWithStatus({
        code: Code.INTERNAL,
        details: `response not encodable: ${String(err)}`,
      });
    }
    this.respondFramed(frameMessage(bytes));
  }

  private respondSelfFramed(message: SelfFramingResponse): void {
    let lease: Buffer | undefined;
    const pool = this.context.pool;
    const framed = message.encodeFramed((bytes) => (lease = pool.take(bytes)));
    this.respondFramed(framed, lease === undefined ? undefined : () => pool.give(lease!));
  }

  private respondFramed(framed: Buffer, release?: () => void): void {
    this.ended = true;
    const observer = this.context.observer;
    if (observer !== undefined) {
      observer.sent(this.method, 1);
      observer.handled(this.method, Code.OK);
    }
    this.connection.sendUnary(this.stream, GRPC_RESPONSE_HEADERS, framed, OK_TRAILERS, release);
    this.finished();
  }

  end(): void {
    this.endWithStatus({ code: Code.OK });
  }

  endWithStatus(status: GrpcStatus): void {
    if (this.ended) return;
    this.ended = true;
    this.context.observer?.handled(this.method, status.code);
    this.connection.sendTrailers(this.stream, statusBlock(status, this.stream.headersSent));
    this.finished();
  }

  pause(): void {
    this.paused = true;
    this.connection.pause(this.stream);
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    while (!this.paused && this.held.length > 0) this.emit('data', this.held.shift());
    if (this.paused) return;
    if (this.heldEnd) {
      this.heldEnd = false;
      this.emit('end');
    }
    this.connection.resume(this.stream);
  }

  // --- internals ---

  /** The deadline passed (the wheel calls this). */
  expire(): void {
    if (this.ended) return;
    this.endWithStatus({ code: Code.DEADLINE_EXCEEDED, details: DEADLINE_EXCEEDED_DETAILS });
    // As grpc-js: the handler hears 'cancelled', and stops what it does for the call.
    this.cancelled = true;
    this.emit('cancelled');
  }

  private clearDeadline(): void {
    if (this.wheelSlot !== undefined) this.context.deadlines.remove(this);
  }

  private finished(): void {
    this.clearDeadline();
    process.nextTick(() => {
      this.emit('finish');
      this.emit('close');
    });
  }

  private readMessages(): void {
    for (;;) {
      if (this.need < 0) {
        if (this.have < MESSAGE_PREFIX_BYTES) return;
        const prefix = this.take(MESSAGE_PREFIX_BYTES);
        this.compressed = (prefix[0] & 1) === 1;
        this.need = prefix.readUInt32BE(1);
        if (this.need > this.context.maxReceiveBytes) {
          this.endWithStatus({
            code: Code.RESOURCE_EXHAUSTED,
            details: `received message larger than max (${this.need} vs. ${this.context.maxReceiveBytes})`,
          });
          return;
        }
      }
      if (this.have < this.need) return;
      const bytes = this.take(this.need);
      this.need = -1;
      this.received++;
      this.context.observer?.received(this.method);
      this.deliver(bytes);
      if (this.ended) return;
    }
  }

  /** The next n buffered bytes, in a buffer of their own (requests may outlive the chunk). */
  private take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const head = this.parts[0];
      const used = Math.min(head.length, n - at);
      head.copy(out, at, 0, used);
      at += used;
      if (used === head.length) this.parts.shift();
      else this.parts[0] = head.subarray(used);
    }
    this.have -= n;
    return out;
  }

  private deliver(wire: Buffer): void {
    let message: unknown;
    try {
      message = this.method.deserialize(this.compressed ? this.inflate(wire) : wire);
    } catch (err) {
      return this.endWithStatus({
        code: Code.INTERNAL,
        details: `request not decodable: ${String(err)}`,
      });
    }
    if (!this.method.requestStream) {
      if (this.received > 1) {
        this.endWithStatus({
          code: Code.UNIMPLEMENTED,
          details: 'expected exactly one request message',
        });
      } else this.request = message;
      return;
    }
    if (this.paused) this.held.push(message);
    else this.emit('data', message);
  }

  private inflate(bytes: Buffer): Buffer {
    const encoding = this.stream.header('grpc-encoding');
    const limit = { maxOutputLength: Math.max(1, this.context.maxReceiveBytes) };
    if (encoding === 'gzip') return gunzipSync(bytes, limit);
    if (encoding === 'deflate') return inflateSync(bytes, limit);
    throw new Error(`compressed message with grpc-encoding ${encoding ?? '(none)'}`);
  }

  private deliverEnd(): void {
    if (this.paused) this.heldEnd = true;
    else this.emit('end');
  }
}
