// The HTTP/1.1 upgrade that starts a SPDY/3.1 session on a connected socket: POST with
// "Upgrade: SPDY/3.1" and the stream protocols offered (X-Stream-Protocol-Version), then the
// answer's head read by hand, as the bytes after it already belong to the session (or, when the
// server refuses, to its error body).
import type { Duplex } from 'node:stream';

export interface UpgradeAnswer {
  status: number;
  /** Header names lowercase; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The answer's head as it came (status line and headers, with the blank line). */
  head: Buffer;
  /** Bytes that came after the head. */
  rest: Buffer;
}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export interface SpdyUpgradeRequest {
  path: string;
  host: string;
  protocols: readonly string[];
  timeoutMs?: number;
}

/** Sends the upgrade request and resolves with the answer's head, whatever its status. */
export function requestSpdyUpgrade(
  socket: Duplex,
  request: SpdyUpgradeRequest,
): Promise<UpgradeAnswer> {
  const lines = [
    `POST ${request.path} HTTP/1.1`,
    `Host: ${request.host}`,
    'Connection: Upgrade',
    'Upgrade: SPDY/3.1',
    ...request.protocols.map((p) => `X-Stream-Protocol-Version: ${p}`),
    'Content-Length: 0',
  ];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  return readAnswerHead(socket, request.timeoutMs ?? 30_000);
}

function readAnswerHead(socket: Duplex, timeoutMs: number): Promise<UpgradeAnswer> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(
      () => done(new Error(`no answer to the upgrade in ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffered.length > MAX_HEAD_BYTES)
          done(new Error('the upgrade answer head is too large'));
        return;
      }
      const head = buffered.subarray(0, end + 4);
      try {
        done(undefined, { ...parseHead(head), head, rest: buffered.subarray(end + 4) });
      } catch (err) {
        done(err as Error);
      }
    };
    const onEnd = () => done(new Error('the connection closed before the upgrade answer'));
    const onError = (err: Error) => done(err);
    const done = (err: Error | undefined, answer?: UpgradeAnswer) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      if (err) reject(err);
      else {
        // The session's reader takes over: nothing may flow until it listens.
        socket.pause();
        resolve(answer!);
      }
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
  });
}

function parseHead(head: Buffer): { status: number; headers: Record<string, string> } {
  const [statusLine, ...lines] = head.toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!m) throw new Error(`not an HTTP answer: ${statusLine.slice(0, 80)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { status: Number(m[1]), headers };
}

/** True when the answer switched to SPDY/3.1. */
export function switchedToSpdy(answer: UpgradeAnswer): boolean {
  return (
    answer.status === 101 &&
    /\bupgrade\b/i.test(answer.headers.connection ?? '') &&
    (answer.headers.upgrade ?? '').toLowerCase().includes('spdy/3.1')
  );
}

/** The body of a refused upgrade (by Content-Length, or up to the connection's end; bounded). */
export function readRefusalBody(
  socket: Duplex,
  answer: UpgradeAnswer,
  timeoutMs = 10_000,
): Promise<Buffer> {
  const declared = Number(answer.headers['content-length']);
  const want = Number.isFinite(declared)
    ? Math.min(declared, MAX_ERROR_BODY_BYTES)
    : MAX_ERROR_BODY_BYTES;
  return new Promise((resolve) => {
    let body = answer.rest;
    const finish = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', finish);
      socket.off('close', finish);
      resolve(body.subarray(0, want));
    };
    const onData = (chunk: Buffer) => {
      body = Buffer.concat([body, chunk]);
      if (body.length >= want) finish();
    };
    const timer = setTimeout(finish, timeoutMs);
    if (body.length >= want) return finish();
    socket.on('data', onData);
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', () => undefined);
    socket.resume();
  });
}
