import type { PeerCertificate } from 'node:tls';
import { Packr } from 'msgpackr';
import WebSocket from 'ws';
import { Message, NodeId } from '@flotilla/raft';

// Decoded bytes are views of the received frame; the Raft driver copies what it keeps.
const packr = new Packr({ useRecords: false });

/**
 * msgpackr packs into a buffer it reuses on the next call, while ws may send later: every frame
 * gets its own copy.
 */
function encode(frame: Frame): Buffer {
  return Buffer.from(packr.pack(frame));
}

/** The first frame on a connection: who dials whom, in which cluster. */
interface Hello {
  kind: 'hello';
  cluster: string;
  from: NodeId;
  to: NodeId;
  meta?: unknown;
}

/** The acceptor's answer to a valid hello: only then does the dialer use the connection. */
interface Welcome {
  kind: 'welcome';
  meta?: unknown;
}

/** Every message of one Ready for one peer travels in one frame. */
interface RaftFrame {
  kind: 'raft';
  ms: Message[];
}

/** Request/response between members outside Raft (lease keep-alives go to the leader). */
interface RpcRequest {
  kind: 'rpc';
  id: number;
  method: string;
  body: unknown;
}

interface RpcResponse {
  kind: 'rpcResp';
  id: number;
  body?: unknown;
  error?: { code: string; message: string };
}

type Frame = Hello | Welcome | RaftFrame | RpcRequest | RpcResponse;

export const CLOSE_WRONG_CLUSTER = 4001;
export const CLOSE_WRONG_MEMBER = 4002;
export const CLOSE_DUPLICATE = 4003;

export interface TransportOptions {
  id: NodeId;
  clusterToken: string;
  /** ws:// URL of each other member's peer endpoint. */
  peers: Map<NodeId, string>;
  /** Bytes buffered on one connection beyond which messages are dropped (Raft retries). */
  maxBufferedBytes?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** The local address dials leave from (the member's own peer address); the OS picks without. */
  localAddress?: string;
  onMessage: (m: Message) => void;
  onRpc?: (from: NodeId, method: string, body: unknown) => Promise<unknown>;
  /** What this member tells peers about itself on connect (client URLs), and what it learns. */
  localMeta?: unknown;
  onPeerMeta?: (from: NodeId, meta: unknown) => void;
  /** The connection to a member closed (not by this side stopping or removing it). */
  onPeerDown?: (id: NodeId) => void;
  /**
   * The dialing side drops a connection on which nothing (not even a pong) arrived for this
   * long, and dials again. Default 1500 ms; 0 turns the check off.
   */
  silentPeerMs?: number;
  /**
   * Mutual TLS: dial wss:// with this client pair (read at each dial, so rotated files are
   * used), trusting only `ca`, and require the dialed member's certificate to name it.
   */
  tls?: () => { key: Buffer; cert: Buffer; ca: Buffer };
  /**
   * The member names an inbound connection's verified certificate carries (CN and DNS SANs);
   * a hello from any other member is refused. Absent: no certificate check (the token only).
   */
  peerNames?: (ws: WebSocket) => string[] | undefined;
  log?: (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * Frames from the dialing member carry an all-zero mask. Masking guards browsers' connections
 * against proxies that cache what they misread; between members it only cost a pass over every
 * byte on each side (2 KiB entries: ~1% of a leader's CPU), and ws skips both passes and the
 * copy for a zero mask.
 */
function noMask(mask: Buffer): void {
  mask.fill(0);
}

export class RpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Peer {
  id: NodeId;
  url: string;
  socket: WebSocket | undefined;
  dialing: boolean;
  backoffMs: number;
  timer: NodeJS.Timeout | undefined;
  /** When the current connection last brought anything (frame, ping or pong). */
  heardAt: number;
}

export interface TransportStats {
  sent: number;
  dropped: number;
  received: number;
  sendFailures: number;
}

/**
 * One WebSocket per pair of members, msgpackr frames. The member with the smaller name dials
 * and the other accepts, so each pair shares exactly one connection. Sends never block and
 * never queue without bound: when a connection is down or backed up, the message is dropped
 * and Raft's own retries (heartbeats, probes) recover.
 */
export class PeerTransport {
  private readonly peers = new Map<NodeId, Peer>();
  private readonly pendingRpcs = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private nextRpc = 1;
  private stopped = false;
  readonly stats: TransportStats = { sent: 0, dropped: 0, received: 0, sendFailures: 0 };
  private readonly maxBuffered: number;
  private readonly silentPeerMs: number;
  private livenessTimer: NodeJS.Timeout | undefined;
  private lastLivenessCheck = 0;

  constructor(private readonly opts: TransportOptions) {
    this.maxBuffered = opts.maxBufferedBytes ?? 16 * 1024 * 1024;
    this.silentPeerMs = opts.silentPeerMs ?? 1500;
    for (const [id, url] of opts.peers) {
      if (id === opts.id) continue;
      this.peers.set(id, {
        id,
        url,
        socket: undefined,
        dialing: false,
        backoffMs: opts.reconnectMinMs ?? 50,
        timer: undefined,
        heardAt: 0,
      });
    }
  }

  start(): void {
    for (const peer of this.peers.values()) if (this.dials(peer.id)) this.dial(peer);
    this.startLivenessChecks();
  }

  /**
   * A partition that drops packets (rather than refusing them) leaves both ends of a connection
   * open: TCP keeps retransmitting with a backoff that reaches seconds, so after the network
   * heals a member could wait ~3 s for the next retransmission before it hears its peers again.
   * The dialing side pings every quarter of silentPeerMs; when a connection stays silent it
   * dials a second one beside it, again at each check while the silence lasts. After a
   * partition the new connection gets through as soon as the network lets it and replaces the
   * stuck one; a peer that was only paused answers on the old one at once when it resumes.
   */
  private startLivenessChecks(): void {
    if (this.silentPeerMs <= 0 || this.livenessTimer) return;
    const every = Math.max(10, Math.floor(this.silentPeerMs / 4));
    this.lastLivenessCheck = Date.now();
    this.livenessTimer = setInterval(() => this.checkLiveness(every), every);
    this.livenessTimer.unref();
  }

  private checkLiveness(every: number): void {
    const now = Date.now();
    // A check far behind its schedule means this process was stalled (SIGSTOP, a long pause):
    // its peers' frames still sit unread in the socket buffers, so give them a fresh period.
    const stalled = now - this.lastLivenessCheck > 3 * every;
    this.lastLivenessCheck = now;
    for (const peer of this.peers.values()) {
      const ws = peer.socket;
      // Only the dialing side judges: it is the one that can dial, and the accepting side
      // swaps to the new connection when its hello arrives.
      if (!ws || ws.readyState !== WebSocket.OPEN || !this.dials(peer.id)) continue;
      if (stalled) {
        peer.heardAt = now;
      } else if (now - peer.heardAt > this.silentPeerMs && !peer.dialing) {
        this.opts.log?.('warn', 'peer connection silent; dialing a new one beside it', {
          peer: peer.id,
          silentMs: now - peer.heardAt,
        });
        this.dial(peer, true);
      }
      try {
        ws.ping();
      } catch {
        // The socket is closing; its close event does the rest.
      }
    }
  }

  addPeer(id: NodeId, url: string): void {
    if (id === this.opts.id || this.peers.has(id)) return;
    const peer: Peer = {
      id,
      url,
      socket: undefined,
      dialing: false,
      backoffMs: this.opts.reconnectMinMs ?? 50,
      timer: undefined,
      heardAt: 0,
    };
    this.peers.set(id, peer);
    if (this.dials(id) && !this.stopped) this.dial(peer);
  }

  removePeer(id: NodeId): void {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.peers.delete(id);
    if (peer.timer) clearTimeout(peer.timer);
    peer.socket?.close(1000, 'removed');
  }

  connected(id: NodeId): boolean {
    return this.peers.get(id)?.socket?.readyState === WebSocket.OPEN;
  }

  private dials(other: NodeId): boolean {
    return this.opts.id < other;
  }

  /** `beside`: a connection exists but went silent; the new one replaces it once welcomed. */
  private dial(peer: Peer, beside = false): void {
    if (this.stopped || peer.dialing || (peer.socket && !beside)) return;
    peer.dialing = true;
    const tls = this.opts.tls?.();
    const ws = new WebSocket(tls ? peer.url.replace(/^ws:/, 'wss:') : peer.url, {
      perMessageDeflate: false,
      handshakeTimeout: 2000,
      generateMask: noMask,
      ...(this.opts.localAddress ? { localAddress: this.opts.localAddress } : {}),
      ...(tls
        ? {
            key: tls.key,
            cert: tls.cert,
            ca: tls.ca,
            // Every member may share an address (loopback): the certificate must name the member.
            checkServerIdentity: ((_host: string, cert: PeerCertificate) =>
              certificateNames(cert).includes(peer.id)
                ? undefined
                : new Error(`the certificate does not name member ${peer.id}`)) as never,
          }
        : {}),
    });
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => {
      const hello: Hello = {
        kind: 'hello',
        cluster: this.opts.clusterToken,
        from: this.opts.id,
        to: peer.id,
        meta: this.opts.localMeta,
      };
      ws.send(encode(hello));
      // Without a welcome the other side never took the connection (it was not ready yet, or
      // refused it): give up on this socket and dial again.
      const timer = setTimeout(() => ws.terminate(), 3000);
      ws.once('message', (raw: Buffer) => {
        clearTimeout(timer);
        peer.dialing = false;
        let frame: Frame | undefined;
        try {
          frame = packr.unpack(raw) as Frame;
        } catch {
          frame = undefined;
        }
        if (frame?.kind !== 'welcome') {
          ws.terminate();
          return;
        }
        if (frame.meta !== undefined) this.opts.onPeerMeta?.(peer.id, frame.meta);
        this.attach(peer, ws);
      });
    });
    ws.on('error', () => {
      /* reported through 'close' */
    });
    ws.on('close', (code, reason) => {
      peer.dialing = false;
      if (code === CLOSE_WRONG_CLUSTER || code === CLOSE_WRONG_MEMBER) {
        this.opts.log?.('warn', 'peer refused the connection', {
          peer: peer.id,
          code,
          reason: reason.toString(),
        });
      }
      this.detach(peer, ws);
      this.scheduleRedial(peer);
    });
  }

  private scheduleRedial(peer: Peer): void {
    if (this.stopped || !this.peers.has(peer.id) || peer.timer) return;
    const max = this.opts.reconnectMaxMs ?? 2000;
    const wait = Math.min(max, peer.backoffMs) * (0.5 + Math.random() / 2);
    peer.backoffMs = Math.min(max, peer.backoffMs * 2);
    peer.timer = setTimeout(() => {
      peer.timer = undefined;
      this.dial(peer);
    }, wait);
  }

  /** An inbound connection (from the peer server); it must introduce itself first. */
  accept(ws: WebSocket): void {
    let introduced = false;
    const timer = setTimeout(() => {
      if (!introduced) ws.close(CLOSE_WRONG_MEMBER, 'no hello');
    }, 5000);
    ws.once('message', (raw: Buffer) => {
      clearTimeout(timer);
      let hello: Frame;
      try {
        hello = packr.unpack(raw) as Frame;
      } catch {
        ws.close(CLOSE_WRONG_MEMBER, 'malformed hello');
        return;
      }
      if (hello.kind !== 'hello') {
        ws.close(CLOSE_WRONG_MEMBER, 'expected hello');
        return;
      }
      if (hello.cluster !== this.opts.clusterToken) {
        ws.close(CLOSE_WRONG_CLUSTER, `cluster mismatch: this is "${this.opts.clusterToken}"`);
        return;
      }
      if (hello.to !== this.opts.id) {
        ws.close(CLOSE_WRONG_MEMBER, `this member is ${this.opts.id}, not ${hello.to}`);
        return;
      }
      const peer = this.peers.get(hello.from);
      if (!peer) {
        ws.close(CLOSE_WRONG_MEMBER, `${hello.from} is not a known member`);
        return;
      }
      if (this.opts.peerNames && !(this.opts.peerNames(ws) ?? []).includes(hello.from)) {
        ws.close(CLOSE_WRONG_MEMBER, `the certificate does not name member ${hello.from}`);
        return;
      }
      introduced = true;
      if (peer.socket && peer.socket !== ws)
        peer.socket.close(CLOSE_DUPLICATE, 'replaced by a newer connection');
      if (hello.meta !== undefined) this.opts.onPeerMeta?.(peer.id, hello.meta);
      ws.send(encode({ kind: 'welcome', meta: this.opts.localMeta }));
      this.attach(peer, ws);
      ws.on('close', () => this.detach(peer, ws));
    });
    ws.on('error', () => ws.terminate());
  }

  private attach(peer: Peer, ws: WebSocket): void {
    const replaced = peer.socket;
    peer.socket = ws;
    if (replaced && replaced !== ws) replaced.terminate();
    peer.backoffMs = this.opts.reconnectMinMs ?? 50;
    peer.heardAt = Date.now();
    const heard = () => {
      if (peer.socket === ws) peer.heardAt = Date.now();
    };
    ws.on('ping', heard);
    ws.on('pong', heard);
    ws.on('message', (raw: Buffer) => {
      heard();
      this.onFrame(peer, raw);
    });
    this.opts.log?.('info', 'peer connected', { peer: peer.id });
  }

  private detach(peer: Peer, ws: WebSocket): void {
    if (peer.socket === ws) {
      peer.socket = undefined;
      this.opts.log?.('info', 'peer disconnected', { peer: peer.id });
      if (!this.stopped && this.peers.get(peer.id) === peer) this.opts.onPeerDown?.(peer.id);
    }
  }

  private onFrame(peer: Peer, raw: Buffer): void {
    let frame: Frame;
    try {
      frame = packr.unpack(raw) as Frame;
    } catch {
      this.opts.log?.('warn', 'dropping a malformed frame', { peer: peer.id });
      return;
    }
    switch (frame.kind) {
      case 'raft':
        if (!Array.isArray(frame.ms)) return;
        for (const m of frame.ms) {
          if (!m || m.from !== peer.id || m.to !== this.opts.id) continue;
          this.stats.received++;
          this.opts.onMessage(m);
        }
        return;
      case 'rpc':
        void this.serveRpc(peer, frame);
        return;
      case 'rpcResp': {
        const pending = this.pendingRpcs.get(frame.id);
        if (!pending) return;
        this.pendingRpcs.delete(frame.id);
        clearTimeout(pending.timer);
        if (frame.error) pending.reject(new RpcError(frame.error.code, frame.error.message));
        else pending.resolve(frame.body);
        return;
      }
    }
  }

  private async serveRpc(peer: Peer, req: RpcRequest): Promise<void> {
    let resp: RpcResponse;
    try {
      if (!this.opts.onRpc) throw new RpcError('unimplemented', 'no RPC handler');
      resp = {
        kind: 'rpcResp',
        id: req.id,
        body: await this.opts.onRpc(peer.id, req.method, req.body),
      };
    } catch (e) {
      const err = e as Error & { code?: string };
      resp = {
        kind: 'rpcResp',
        id: req.id,
        error: { code: err.code ?? 'internal', message: err.message },
      };
    }
    this.write(peer, resp);
  }

  send(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    const byPeer = new Map<NodeId, Message[]>();
    for (const m of messages) {
      const list = byPeer.get(m.to);
      if (list) list.push(m);
      else byPeer.set(m.to, [m]);
    }
    for (const [to, ms] of byPeer) {
      const peer = this.peers.get(to);
      if (!peer || !this.write(peer, { kind: 'raft', ms })) this.stats.dropped += ms.length;
      else this.stats.sent += ms.length;
    }
  }

  private write(peer: Peer, frame: Frame): boolean {
    const ws = peer.socket;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    if (ws.bufferedAmount > this.maxBuffered) return false;
    try {
      ws.send(encode(frame));
      return true;
    } catch {
      this.stats.sendFailures++;
      return false;
    }
  }

  /** Calls `method` on member `to`; fails fast when there is no connection. */
  call(to: NodeId, method: string, body: unknown, timeoutMs = 3000): Promise<unknown> {
    const peer = this.peers.get(to);
    if (!peer) return Promise.reject(new RpcError('unavailable', `${to} is not a known member`));
    const id = this.nextRpc++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingRpcs.delete(id);
        reject(new RpcError('timeout', `call ${method} to ${to} timed out`));
      }, timeoutMs);
      this.pendingRpcs.set(id, { resolve, reject, timer });
      if (!this.write(peer, { kind: 'rpc', id, method, body })) {
        clearTimeout(timer);
        this.pendingRpcs.delete(id);
        reject(new RpcError('unavailable', `no connection to ${to}`));
      }
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.livenessTimer) clearInterval(this.livenessTimer);
    this.livenessTimer = undefined;
    for (const peer of this.peers.values()) {
      if (peer.timer) clearTimeout(peer.timer);
      peer.socket?.close(1001, 'stopping');
      peer.socket = undefined;
    }
    for (const p of this.pendingRpcs.values()) {
      clearTimeout(p.timer);
      p.reject(new RpcError('unavailable', 'stopping'));
    }
    this.pendingRpcs.clear();
  }
}

/** The names a certificate gives its holder: its CN and its DNS subject alternative names. */
export function certificateNames(cert: PeerCertificate): string[] {
  const cn = (cert.subject as unknown as Record<string, string | string[] | undefined>)?.CN;
  const names = Array.isArray(cn) ? cn : cn ? [cn] : [];
  for (const part of (cert.subjectaltname ?? '').split(', ')) {
    if (part.startsWith('DNS:')) names.push(part.slice(4));
  }
  return names;
}
