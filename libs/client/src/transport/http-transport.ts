// The HTTP transport over several masters: requests stick to one master until it fails, then move
// to the next. A master is given up on when a connection to it fails, or when it has work in
// flight (requests, watches), stays silent, and does not answer a liveness ping (GET /readyz)
// within a deadline: kill -9, a paused process and a vanished host are all noticed in about
// pingIdleMs + pingTimeoutMs, and the work moves on.
import type { Agent } from 'node:http';
import { Endpoint, EndpointConfig } from './endpoint';
import { ConnectionError, NotSentError, OutcomeUnknownError, UnreachableError } from './errors';
import { Exchange, ExchangeResult, startExchange } from './http-exchange';
import type { RestRequest, RestResponse, StreamOpening, Transport } from './transport';

export interface HttpTransportOptions {
  endpoints: EndpointConfig[];
  /** TCP (and TLS) connect; past it the request was not sent and goes to the next master. */
  connectTimeoutMs?: number;
  /** Backstop deadline for a whole unary answer (a dead master is noticed sooner by pings). */
  requestTimeoutMs?: number;
  /** A master with requests or watches in flight that sent nothing for this long is pinged. */
  pingIdleMs?: number;
  /** A ping unanswered after this long marks the master dead. */
  pingTimeoutMs?: number;
  /** What a ping asks for (any answer proves the process alive; 200 that it is ready). */
  pingPath?: string;
  /** A master answering pings but not ready this long loses its watches (if another is up). */
  notReadyGraceMs?: number;
  /** A master that failed is skipped for this long (unless every master failed). */
  deadCooldownMs?: number;
  /** Connections per master for unary requests; more requests wait for one. */
  maxSockets?: number;
  maxFreeSockets?: number;
  tcpKeepAliveMs?: number;
  /** Passes over all masters before a request gives up (UnreachableError). */
  rounds?: number;
  /** Pause before the second and later passes (times the pass number). */
  roundBackoffMs?: number;
  /** Which master to start on: an index, or spread clients over masters at random. */
  startAt?: number | 'random';
  clock?: () => number;
  random?: () => number;
  /** Told when a master is given up on (for logs, metrics and tests). */
  onEndpointDown?: (endpoint: string, reason: string) => void;
}

export const HTTP_TRANSPORT_DEFAULTS = {
  connectTimeoutMs: 1000,
  requestTimeoutMs: 30_000,
  pingIdleMs: 400,
  pingTimeoutMs: 800,
  pingPath: '/readyz',
  notReadyGraceMs: 2000,
  deadCooldownMs: 5000,
  maxSockets: 32,
  maxFreeSockets: 8,
  tcpKeepAliveMs: 1000,
  rounds: 3,
  roundBackoffMs: 250,
};

interface EndpointState {
  readonly index: number;
  readonly endpoint: Endpoint;
  deadUntil: number;
  lastHeard: number;
  lastStarted: number;
  notReadySince: number | undefined;
  readonly requests: Set<Exchange>;
  readonly streams: Set<Exchange>;
  pinging: boolean;
  monitor: NodeJS.Timeout | undefined;
}

export class HttpTransport implements Transport {
  private readonly states: EndpointState[];
  private readonly o: typeof HTTP_TRANSPORT_DEFAULTS;
  private readonly clock: () => number;
  private readonly onDown: HttpTransportOptions['onEndpointDown'];
  private current: number;
  private closed = false;

  constructor(options: HttpTransportOptions) {
    if (options.endpoints.length === 0) throw new Error('no API server endpoint given');
    const pick = <K extends keyof typeof HTTP_TRANSPORT_DEFAULTS>(k: K) =>
      (options[k] ?? HTTP_TRANSPORT_DEFAULTS[k]) as (typeof HTTP_TRANSPORT_DEFAULTS)[K];
    this.o = {
      connectTimeoutMs: pick('connectTimeoutMs'),
      requestTimeoutMs: pick('requestTimeoutMs'),
      pingIdleMs: pick('pingIdleMs'),
      pingTimeoutMs: pick('pingTimeoutMs'),
      pingPath: pick('pingPath'),
      notReadyGraceMs: pick('notReadyGraceMs'),
      deadCooldownMs: pick('deadCooldownMs'),
      maxSockets: pick('maxSockets'),
      maxFreeSockets: pick('maxFreeSockets'),
      tcpKeepAliveMs: pick('tcpKeepAliveMs'),
      rounds: Math.max(1, pick('rounds')),
      roundBackoffMs: pick('roundBackoffMs'),
    };
    this.clock = options.clock ?? Date.now;
    this.onDown = options.onEndpointDown;
    this.states = options.endpoints.map((config, index) => ({
      index,
      endpoint: new Endpoint(config, this.o),
      deadUntil: 0,
      lastHeard: 0,
      lastStarted: 0,
      notReadySince: undefined,
      requests: new Set(),
      streams: new Set(),
      pinging: false,
      monitor: undefined,
    }));
    const n = this.states.length;
    const start = options.startAt ?? 0;
    this.current =
      start === 'random'
        ? Math.floor((options.random ?? Math.random)() * n) % n
        : ((start % n) + n) % n;
  }

  describe(): string {
    return this.states.map((s) => s.endpoint.url).join(', ');
  }

  /** The master new requests go to now. */
  currentEndpoint(): string {
    return this.states[this.current].endpoint.url;
  }

  request(req: RestRequest): Promise<RestResponse> {
    return this.withFailover(req, async (s) => {
      const result = await this.run(s, req, s.endpoint.requestAgent, s.requests);
      return (result as Extract<ExchangeResult, { kind: 'response' }>).response;
    });
  }

  stream(req: RestRequest, onData: (chunk: Buffer) => void): Promise<StreamOpening> {
    return this.withFailover(req, async (s) => {
      const result = await this.run(s, req, s.endpoint.watchAgent, s.streams, onData);
      return result.kind === 'stream' ? result : { kind: 'response', response: result.response };
    });
  }

  close(): void {
    this.closed = true;
    for (const s of this.states) {
      clearInterval(s.monitor);
      s.monitor = undefined;
      for (const ex of [...s.requests, ...s.streams]) ex.abort('the client was closed');
      s.endpoint.destroy();
    }
  }

  private async withFailover<T>(
    req: RestRequest,
    attempt: (s: EndpointState) => Promise<T>,
  ): Promise<T> {
    const failures: ConnectionError[] = [];
    for (let round = 0; round < this.o.rounds; round++) {
      if (this.closed) throw new NotSentError(this.describe(), 'the client was closed');
      if (round > 0) await sleep(this.o.roundBackoffMs * round);
      const tried = new Set<EndpointState>();
      for (let s = this.pick(tried); s; s = this.pick(tried)) {
        tried.add(s);
        try {
          const out = await attempt(s);
          if (this.answeredNotReady(out) && req.idempotent && this.pickable(tried)) {
            // A master without a quorum answers reads 503; another may serve them.
            this.giveUp(s, 'answered 503 ServiceUnavailable', false);
            continue;
          }
          return out;
        } catch (err) {
          if (!(err instanceof ConnectionError)) throw err;
          failures.push(err);
          this.giveUp(s, err.message, false);
          if (err instanceof OutcomeUnknownError && !req.idempotent) throw err;
        }
      }
    }
    throw new UnreachableError(failures);
  }

  private answeredNotReady(out: unknown): boolean {
    const o = out as { status?: number; kind?: string; response?: RestResponse };
    return (o.status ?? o.response?.status) === 503;
  }

  private pickable(tried: Set<EndpointState>): boolean {
    return this.states.some((s) => !tried.has(s));
  }

  /** The current master if it is up, else the next one that is; a downed one as a last resort. */
  private pick(tried: Set<EndpointState>): EndpointState | undefined {
    const now = this.clock();
    const n = this.states.length;
    let fallback: EndpointState | undefined;
    for (let i = 0; i < n; i++) {
      const s = this.states[(this.current + i) % n];
      if (tried.has(s)) continue;
      if (s.deadUntil <= now) {
        this.current = s.index;
        return s;
      }
      if (!fallback || s.deadUntil < fallback.deadUntil) fallback = s;
    }
    if (fallback) this.current = fallback.index;
    return fallback;
  }

  private run(
    s: EndpointState,
    req: RestRequest,
    agent: Agent,
    into: Set<Exchange>,
    onData?: (chunk: Buffer) => void,
  ): Promise<ExchangeResult> {
    if (this.closed) throw new NotSentError(s.endpoint.url, 'the client was closed');
    s.lastStarted = this.clock();
    const ex = startExchange(s.endpoint, req, {
      agent,
      connectTimeoutMs: this.o.connectTimeoutMs,
      deadlineMs: onData ? this.o.requestTimeoutMs : (req.timeoutMs ?? this.o.requestTimeoutMs),
      tcpKeepAliveMs: this.o.tcpKeepAliveMs,
      onHeard: () => (s.lastHeard = this.clock()),
      onData,
    });
    into.add(ex);
    this.watchOver(s);
    void ex.finished.then(() => into.delete(ex));
    return ex.result;
  }

  /**
   * While a master has work in flight, ping it whenever it has been silent for pingIdleMs. The
   * timer outlives a request by up to one tick (it stops itself), so a stream of requests does
   * not start and stop one each.
   */
  private watchOver(s: EndpointState): void {
    if (s.monitor) return;
    const every = Math.max(10, Math.floor(this.o.pingIdleMs / 4));
    s.monitor = setInterval(() => {
      if (s.requests.size === 0 && s.streams.size === 0) {
        clearInterval(s.monitor);
        s.monitor = undefined;
        return;
      }
      const quiet = this.clock() - Math.max(s.lastHeard, s.lastStarted);
      if (!s.pinging && quiet >= this.o.pingIdleMs) this.ping(s);
    }, every);
    s.monitor.unref();
  }

  private ping(s: EndpointState): void {
    s.pinging = true;
    const ex = startExchange(
      s.endpoint,
      { method: 'GET', path: this.o.pingPath, idempotent: true },
      {
        agent: s.endpoint.pingAgent,
        connectTimeoutMs: Math.min(this.o.connectTimeoutMs, this.o.pingTimeoutMs),
        deadlineMs: this.o.pingTimeoutMs,
        tcpKeepAliveMs: this.o.tcpKeepAliveMs,
        onHeard: () => (s.lastHeard = this.clock()),
      },
    );
    ex.result.then(
      (r) => {
        s.pinging = false;
        const status = r.kind === 'response' ? r.response.status : 200;
        if (status === 200) {
          s.notReadySince = undefined;
          return;
        }
        const now = this.clock();
        s.notReadySince ??= now;
        const others = this.states.some((o) => o !== s && o.deadUntil <= now);
        if (now - s.notReadySince >= this.o.notReadyGraceMs && others) {
          s.notReadySince = undefined;
          this.giveUp(s, `not ready (${this.o.pingPath} answered ${status})`, 'streams');
        }
      },
      (err: Error) => {
        s.pinging = false;
        this.giveUp(s, `liveness ping failed: ${err.message}`, 'all');
      },
    );
  }

  /**
   * Marks a master down for the cool-down, so new work goes elsewhere. 'all' also aborts its work
   * in flight (it is unreachable), 'streams' only its watches (alive but not serving fresh data).
   */
  private giveUp(s: EndpointState, reason: string, abort: false | 'streams' | 'all'): void {
    const wasUp = s.deadUntil <= this.clock();
    s.deadUntil = this.clock() + this.o.deadCooldownMs;
    if (this.current === s.index) this.current = (s.index + 1) % this.states.length;
    if (abort) {
      for (const ex of s.streams) ex.abort(`${s.endpoint.url} ${reason}`);
      if (abort === 'all') {
        for (const ex of s.requests) ex.abort(`${s.endpoint.url} ${reason}`);
        s.endpoint.destroy();
      }
    }
    if (wasUp) this.onDown?.(s.endpoint.url, reason);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
