// One HTTP/1.1 request to one master, with what the failover logic needs to know: whether any
// byte may have reached the server (NotSent vs OutcomeUnknown), a connect timeout, a deadline for
// the answer, and a signal for every byte heard from the master (liveness).
import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Endpoint } from './endpoint';
import { ConnectionError, describeSocketError, NotSentError, OutcomeUnknownError } from './errors';
import type { RestRequest, RestResponse, RestStream } from './transport';

export interface ExchangeOptions {
  agent: Agent;
  connectTimeoutMs: number;
  /** Until the whole answer (unary) or its headers (stream) arrived. */
  deadlineMs: number;
  tcpKeepAliveMs: number;
  /** Called for every byte the master sends: it is alive. */
  onHeard: () => void;
  /** Stream mode: a 200 answer's body goes here as it arrives. */
  onData?: (chunk: Buffer) => void;
}

export type ExchangeResult =
  { kind: 'response'; response: RestResponse } | { kind: 'stream'; stream: RestStream };

export interface Exchange {
  readonly result: Promise<ExchangeResult>;
  /** Ends the exchange with a connection error (NotSent or OutcomeUnknown by how far it got). */
  abort(why: string): void;
  /** The stream, once the exchange turned into one, has ended or broken. */
  readonly finished: Promise<void>;
}

type Phase = 'waiting' | 'connecting' | 'sent';

export function startExchange(ep: Endpoint, req: RestRequest, o: ExchangeOptions): Exchange {
  let phase: Phase = 'waiting';
  let settled = false;
  let streaming = false;
  let stopped = false;
  let failure: ConnectionError | undefined;
  let connectTimer: NodeJS.Timeout | undefined;
  let resolveResult!: (r: ExchangeResult) => void;
  let rejectResult!: (e: Error) => void;
  let resolveStream!: () => void;
  let rejectStream!: (e: Error) => void;
  let markFinished!: () => void;
  const result = new Promise<ExchangeResult>((res, rej) => {
    resolveResult = res;
    rejectResult = rej;
  });
  const finished = new Promise<void>((res) => (markFinished = res));
  const streamDone = new Promise<void>((res, rej) => {
    resolveStream = res;
    rejectStream = rej;
  });
  // Nobody may be waiting on it when the stream is never opened.
  streamDone.catch(() => undefined);

  const errorFor = (why: string, cause?: unknown): ConnectionError =>
    phase === 'sent'
      ? new OutcomeUnknownError(ep.url, why, cause)
      : new NotSentError(ep.url, why, cause);

  const deadline = setTimeout(() => abort(`no answer within ${o.deadlineMs} ms`), o.deadlineMs);

  const end = (err?: Error) => {
    clearTimeout(deadline);
    clearTimeout(connectTimer);
    if (!settled) {
      settled = true;
      markFinished();
      if (err) rejectResult(err);
      return;
    }
    if (streaming) {
      streaming = false;
      markFinished();
      if (err && !stopped) rejectStream(err);
      else resolveStream();
    }
  };

  const headers: Record<string, string | number> = { ...req.headers };
  const authorization = ep.authorization?.();
  if (authorization) headers.authorization = authorization;
  if (req.body) headers['content-length'] = req.body.length;
  const query = req.query?.toString();
  const path = `${ep.basePath}${req.path}${query ? `?${query}` : ''}`;
  const send = ep.secure ? httpsRequest : httpRequest;
  const clientReq: ClientRequest = send({
    host: ep.host,
    port: ep.port,
    path,
    method: req.method,
    headers,
    agent: o.agent,
  });

  function abort(why: string): void {
    if (failure || (settled && !streaming)) return;
    failure = errorFor(why);
    clientReq.destroy(failure);
    // A stream whose response already started: its 'close' reports the failure.
  }

  clientReq.on('socket', (socket: Socket) => {
    socket.setKeepAlive(true, o.tcpKeepAliveMs);
    // A fresh TLS socket is not usable before its handshake, whatever its TCP state.
    if (clientReq.reusedSocket || (!ep.secure && !socket.connecting)) {
      phase = 'sent';
      return;
    }
    phase = 'connecting';
    connectTimer = setTimeout(
      () => abort(`connect timeout after ${o.connectTimeoutMs} ms`),
      o.connectTimeoutMs,
    );
    socket.once(ep.secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(connectTimer);
      if (!failure) phase = 'sent';
    });
  });

  clientReq.on('error', (err) => end(failure ?? errorFor(describeSocketError(err), err)));

  clientReq.on('response', (res: IncomingMessage) => {
    o.onHeard();
    const responseHeaders = res.headers as Record<string, string | undefined>;
    if (o.onData && res.statusCode === 200) {
      clearTimeout(deadline);
      streaming = true;
      settled = true;
      const onData = o.onData;
      res.on('data', (chunk: Buffer) => {
        o.onHeard();
        onData(chunk);
      });
      res.on('error', () => undefined);
      res.on('close', () =>
        end(
          res.complete
            ? undefined
            : (failure ?? new OutcomeUnknownError(ep.url, 'the stream was cut off')),
        ),
      );
      resolveResult({
        kind: 'stream',
        stream: {
          endpoint: ep.url,
          stop: () => {
            stopped = true;
            clientReq.destroy();
          },
          done: streamDone,
        },
      });
      return;
    }
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => {
      o.onHeard();
      chunks.push(chunk);
    });
    res.on('error', () => undefined);
    res.on('end', () => {
      clearTimeout(deadline);
      settled = true;
      markFinished();
      resolveResult({
        kind: 'response',
        response: {
          status: res.statusCode ?? 0,
          headers: responseHeaders,
          body: Buffer.concat(chunks),
          endpoint: ep.url,
        },
      });
    });
    res.on('close', () => {
      if (!res.complete) end(failure ?? new OutcomeUnknownError(ep.url, 'the answer was cut off'));
    });
  });

  clientReq.end(req.body);
  return { result, abort, finished };
}
