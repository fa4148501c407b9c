// exec and attach for a WebSocket client speaking v5.channel.k8s.io, served over SPDY toward the
// kubelet (v4.channel.k8s.io), as Kubernetes' API server translates since 1.30: kubectl 1.32 asks
// for v5 first, and containerd's streaming server speaks only SPDY and WebSocket up to v4.
//
// A WebSocket message is one channel byte and data: 0 stdin, 1 stdout, 2 stderr, 3 the final
// Status (JSON), 4 terminal resize (JSON), and in v5 255 "close channel N" (the client's end of
// stdin). Each channel is one SPDY stream named by its streamtype header.
import type { Duplex } from 'node:stream';
import { ApiError } from '@flotilla/api';
import type { WebSocket } from 'ws';
import { RST_CANCEL } from './spdy/frames';
import { SpdySession, type SpdyStream } from './spdy/session';

export const REMOTE_COMMAND_V5 = 'v5.channel.k8s.io';
export const REMOTE_COMMAND_SPDY_PROTOCOL = 'v4.channel.k8s.io';

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

/** Output waiting for a slow WebSocket client past this stops reading from the kubelet. */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

export interface RemoteCommandStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export function streamsFromQuery(q: URLSearchParams): RemoteCommandStreams {
  const on = (...names: string[]) => names.some((n) => ['true', '1'].includes(q.get(n) ?? ''));
  return {
    stdin: on('stdin', 'input'),
    stdout: on('stdout', 'output'),
    stderr: on('stderr', 'error'),
    tty: on('tty'),
  };
}

export interface TranslateOptions {
  streams: RemoteCommandStreams;
  /**
   * A connection to the kubelet already upgraded to SPDY (rest: bytes read past the answer). An
   * ApiError rejection reaches the client as its Status.
   */
  connect: () => Promise<{ socket: Duplex; rest: Buffer }>;
  /** How long the kubelet has to accept each stream (Kubernetes: 30 s). */
  replyTimeoutMs?: number;
}

const SUCCESS = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };

function failure(err: unknown): Record<string, unknown> {
  if (err instanceof ApiError) return err.status as unknown as Record<string, unknown>;
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: err instanceof Error ? err.message : String(err),
    reason: 'InternalError',
    code: 500,
  };
}

/** Runs one exec/attach session on an accepted WebSocket; resolves when both sides are done. */
export function translateRemoteCommand(ws: WebSocket, options: TranslateOptions): Promise<void> {
  return new RemoteCommandTranslation(ws, options).run();
}

class RemoteCommandTranslation {
  private session: SpdySession | undefined;
  private readonly outputs: SpdyStream[] = [];
  private stdin: SpdyStream | undefined;
  private resize: SpdyStream | undefined;
  private error: SpdyStream | undefined;
  private statusSent = false;
  private finished = false;
  private upstreamPaused = false;
  private readonly early: Buffer[] = [];
  private ready = false;
  private done!: () => void;

  constructor(
    private readonly ws: WebSocket,
    private readonly o: TranslateOptions,
  ) {}

  run(): Promise<void> {
    const over = new Promise<void>((resolve) => (this.done = resolve));
    const { ws } = this;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        ws.resume();
        return void ws.close(1003, 'v5.channel.k8s.io frames are binary');
      }
      if (this.ready) this.fromClient(data);
      else this.early.push(data);
    });
    ws.on('close', () => this.teardown());
    ws.on('error', () => this.teardown());
    // Kubernetes' first message: an empty frame on the lowest channel the client reads.
    const first = this.o.streams.stdout ? STDOUT : this.o.streams.stderr ? STDERR : ERROR;
    ws.send(Buffer.from([first]));
    // Until the kubelet took the streams, what the client sends waits (and no more is read).
    ws.pause();
    void this.start().catch((err: unknown) => this.finish(failure(err)));
    return over;
  }

  private async start(): Promise<void> {
    const { socket, rest } = await this.o.connect();
    if (this.finished) return void socket.destroy();
    const session = new SpdySession(socket, { role: 'client', head: rest });
    this.session = session;
    session.on('close', () => this.upstreamClosed());
    session.on('drain', () => {
      if (!this.finished) this.ws.resume();
    });
    const s = this.o.streams;
    // The order client-go opens them in: error first, so a failure to start is always heard.
    this.error = this.open(session, 'error', ERROR);
    if (s.stdin) this.stdin = session.openStream({ streamtype: 'stdin' });
    if (s.stdout) this.outputs.push(this.open(session, 'stdout', STDOUT));
    if (s.stderr) this.outputs.push(this.open(session, 'stderr', STDERR));
    if (s.tty) this.resize = session.openStream({ streamtype: 'resize' });
    const opened = [this.error, this.stdin, ...this.outputs, this.resize].filter(
      (x): x is SpdyStream => x !== undefined,
    );
    await withTimeout(
      Promise.all(opened.map((x) => x.replied)),
      this.o.replyTimeoutMs ?? 30_000,
      'the kubelet did not accept the streams in time',
    );
    if (this.finished) return;
    this.ready = true;
    for (const data of this.early.splice(0)) this.fromClient(data);
    this.ws.resume();
  }

  private open(session: SpdySession, type: string, channel: number): SpdyStream {
    const stream = session.openStream({ streamtype: type });
    stream.on('data', (data: Buffer) => this.toClient(channel, data));
    stream.on('end', () => this.maybeDone());
    return stream;
  }

  private fromClient(message: Buffer): void {
    if (message.length === 0 || this.finished) return;
    const channel = message[0];
    const data = message.subarray(1);
    let ok = true;
    if (channel === STDIN && this.stdin) ok = this.stdin.write(data);
    else if (channel === RESIZE && this.resize) ok = this.resize.write(data);
    else if (channel === CLOSE && data[0] === STDIN) this.stdin?.end();
    else if (channel === CLOSE && data[0] === RESIZE) this.resize?.end();
    // Back-pressure: stop reading the client until the kubelet's connection drains.
    if (!ok && !this.session?.closed) this.ws.pause();
  }

  private toClient(channel: number, data: Buffer): void {
    if (this.finished) return;
    if (channel === ERROR) this.statusSent = true;
    this.ws.send(Buffer.concat([Buffer.from([channel]), data]), () => {
      if (this.upstreamPaused && this.ws.bufferedAmount < LOW_WATER) {
        this.upstreamPaused = false;
        this.session?.resume();
      }
    });
    if (!this.upstreamPaused && this.ws.bufferedAmount > HIGH_WATER) {
      this.upstreamPaused = true;
      this.session?.pause();
    }
  }

  /** The command is over when the status stream and every output stream have ended. */
  private maybeDone(): void {
    if (!this.error?.ended || this.outputs.some((o) => !o.ended)) return;
    this.finishAfterUpstream();
  }

  private upstreamClosed(): void {
    if (this.finished) return;
    if (!this.ready && !this.statusSent) {
      return this.finish(
        failure(new Error('the kubelet closed the connection before the streams were accepted')),
      );
    }
    this.finishAfterUpstream();
  }

  private finishAfterUpstream(): void {
    // A status stream that ended cleanly with nothing in it means success (v4's rule); one cut off
    // before any status is a failure of the connection, not of the command.
    if (this.statusSent || this.error?.ended === 'fin') return this.finish(SUCCESS);
    this.finish(
      failure(
        new Error('the connection to the kubelet ended before the command reported its status'),
      ),
    );
  }

  private finish(status: Record<string, unknown>): void {
    if (this.finished) return;
    if (!this.statusSent) {
      this.statusSent = true;
      this.ws.send(Buffer.concat([Buffer.from([ERROR]), Buffer.from(JSON.stringify(status))]));
    }
    this.finished = true;
    // Close frame after everything queued: ws flushes in order, and the client reads to the end.
    // Reading again, as the closing handshake needs the client's close frame.
    this.ws.resume();
    this.ws.close(1000);
    this.closeUpstream();
    this.done();
  }

  private teardown(): void {
    // The client went away (or broke): the command's streams go with it.
    if (!this.finished) {
      this.finished = true;
      this.done();
    }
    this.closeUpstream();
  }

  private closeUpstream(): void {
    const session = this.session;
    if (!session || session.closed) return;
    for (const s of [this.stdin, this.resize, this.error, ...this.outputs]) {
      if (s && !s.ended) s.reset(RST_CANCEL);
    }
    session.close();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms))),
  ]);
}
