// Cluster DNS over UDP and TCP: names in the cluster zone answered from ClusterRecords, any other
// name forwarded to the node's own resolvers. A query that cannot be parsed gets FORMERR; nothing
// a client sends stops the server.
import { createSocket, Socket as UdpSocket } from 'node:dgram';
import { createServer, Server, Socket, connect } from 'node:net';
import type { JsonLogger } from '@flotilla/observability';
import * as dns from 'dns-packet';
import { Counter, Registry } from 'prom-client';
import type { ClusterRecords, RecordData } from './cluster-records';

export interface DnsServerOptions {
  records: ClusterRecords;
  /** Resolvers for names outside the cluster: "ip" (port 53) or "ip:port" / "[ip6]:port". */
  upstreams: readonly string[];
  logger: JsonLogger;
  ttlSeconds?: number;
  forwardTimeoutMs?: number;
  registry?: Registry;
}

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
type Rcode = keyof typeof RCODE;
const OPCODE_QUERY = 0;
const MAX_TCP_MESSAGE = 65535;

export class ClusterDnsServer {
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly ttl: number;
  private readonly forwardTimeoutMs: number;
  private readonly requests: Counter<'proto' | 'rcode' | 'source'> | undefined;
  private readonly connections = new Set<Socket>();

  constructor(private readonly options: DnsServerOptions) {
    this.ttl = options.ttlSeconds ?? 5;
    this.forwardTimeoutMs = options.forwardTimeoutMs ?? 2000;
    this.requests = options.registry ? dnsRequestsCounter(options.registry) : undefined;
  }

  /** Serves UDP and TCP on the same address and port (port 0: any free one, the same for both). */
  async listen(host: string, port: number): Promise<number> {
    const udp = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const bound = udp.address().port;
    udp.on('message', (msg, rinfo) => {
      void this.handle(msg, 'udp').then((answer) => {
        if (answer) udp.send(answer, rinfo.port, rinfo.address);
      });
    });
    udp.on('error', (e) => this.options.logger.warn('dns udp socket error', { error: e.message }));
    this.udp = udp;

    const tcp = createServer((socket) => this.serveTcp(socket));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(bound, host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    this.tcp = tcp;
    return bound;
  }

  async close(): Promise<void> {
    this.udp?.close();
    for (const c of this.connections) c.destroy();
    await new Promise<void>((resolve) => (this.tcp ? this.tcp.close(() => resolve()) : resolve()));
  }

  /** The answer to one message, or undefined when it deserves none (a response, a runt). */
  async handle(message: Buffer, proto: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    if (message.length < 2) return undefined;
    let query: dns.DecodedPacket;
    try {
      query = dns.decode(message);
    } catch {
      return this.count(proto, 'FORMERR', 'cluster', headerOnly(message, 'FORMERR'));
    }
    if (query.type === 'response') return undefined;
    const opcode = (message.readUInt16BE(2) >> 11) & 0xf;
    if (opcode !== OPCODE_QUERY)
      return this.count(proto, 'NOTIMP', 'cluster', headerOnly(message, 'NOTIMP'));
    const questions = query.questions ?? [];
    if (questions.length !== 1)
      return this.count(proto, 'FORMERR', 'cluster', headerOnly(message, 'FORMERR'));
    const q = questions[0];
    if (!this.options.records.isClusterName(q.name)) return this.forward(message, proto);

    const result = this.options.records.lookup(q.name, q.type);
    const opt = (query.additionals ?? []).find((a) => a.type === 'OPT') as
      dns.OptAnswer | undefined;
    const response: dns.Packet = {
      id: query.id,
      type: 'response',
      flags:
        dns.AUTHORITATIVE_ANSWER |
        dns.RECURSION_AVAILABLE |
        ((query.flags ?? 0) & dns.RECURSION_DESIRED) |
        RCODE[result.rcode],
      questions: [q],
      answers: result.answers.map((a) => this.answer(a.name, a.record)),
      authorities: result.answers.length === 0 ? [this.soa()] : [],
      additionals: [
        ...result.additionals.map((a) => this.answer(a.name, a.record)),
        ...(opt ? [ednsAnswer()] : []),
      ],
    };
    let encoded = dns.encode(response);
    const limit =
      proto === 'tcp' ? MAX_TCP_MESSAGE : Math.max(512, Math.min(opt?.udpPayloadSize ?? 512, 4096));
    if (encoded.length > limit) {
      encoded = dns.encode({
        ...response,
        flags: (response.flags ?? 0) | dns.TRUNCATED_RESPONSE,
        answers: [],
        authorities: [],
        additionals: [],
      });
    }
    return this.count(proto, result.rcode, 'cluster', encoded);
  }

  private answer(name: string, record: RecordData): dns.Answer {
    return { name, type: record.type, ttl: this.ttl, class: 'IN', data: record.data } as dns.Answer;
  }

  private soa(): dns.Answer {
    const zone = this.options.records.zone;
    return {
      name: zone,
      type: 'SOA',
      ttl: this.ttl,
      class: 'IN',
      data: {
        mname: `ns.dns.${zone}`,
        rname: `hostmaster.${zone}`,
        serial: 1,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: this.ttl,
      },
    };
  }

  private async forward(message: Buffer, proto: 'udp' | 'tcp'): Promise<Buffer> {
    for (const upstream of this.options.upstreams) {
      const [host, port] = splitHostPort(upstream);
      try {
        const answer =
          proto === 'udp'
            ? await this.forwardUdp(message, host, port)
            : await this.forwardTcp(message, host, port);
        const rcode = (answer.readUInt16BE(2) & 0xf) as number;
        const name = (Object.keys(RCODE) as Rcode[]).find((k) => RCODE[k] === rcode) ?? 'NOERROR';
        return this.count(proto, name, 'forward', answer);
      } catch (e) {
        this.options.logger.debug('dns upstream failed', { upstream, error: (e as Error).message });
      }
    }
    return this.count(proto, 'SERVFAIL', 'forward', headerOnly(message, 'SERVFAIL'));
  }

  private forwardUdp(message: Buffer, host: string, port: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      const done = (fn: () => void) => {
        clearTimeout(timer);
        socket.close();
        fn();
      };
      const timer = setTimeout(
        () => done(() => reject(new Error('timeout'))),
        this.forwardTimeoutMs,
      );
      socket.on('error', (e) => done(() => reject(e)));
      socket.on('message', (answer) => {
        // Only an answer to this query (same id) counts; anything else is ignored.
        if (answer.length >= 12 && answer.readUInt16BE(0) === message.readUInt16BE(0))
          done(() => resolve(answer));
      });
      socket.send(message, port, host);
    });
  }

  private forwardTcp(message: Buffer, host: string, port: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => socket.destroy(new Error('timeout')), this.forwardTimeoutMs);
      let buf = Buffer.alloc(0);
      socket.on('connect', () => socket.write(Buffer.concat([u16(message.length), message])));
      socket.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          clearTimeout(timer);
          socket.end();
          resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        }
      });
      socket.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        reject(new Error('closed before an answer'));
      });
    });
  }

  private serveTcp(socket: Socket): void {
    this.connections.add(socket);
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', () => socket.destroy());
    let buf = Buffer.alloc(0);
    let chain = Promise.resolve();
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        // Answers go out in the order the queries came.
        chain = chain.then(async () => {
          const answer = await this.handle(msg, 'tcp');
          if (answer && !socket.destroyed)
            socket.write(Buffer.concat([u16(answer.length), answer]));
        });
      }
    });
  }

  private count(
    proto: 'udp' | 'tcp',
    rcode: Rcode | string,
    source: 'cluster' | 'forward',
    answer: Buffer,
  ): Buffer {
    this.requests?.inc({ proto, rcode, source });
    return answer;
  }
}

const REQUESTS_METRIC = 'flotilla_cluster_dns_requests_total';

/** One counter per registry, shared by every server made on it (the agent re-binds on change). */
function dnsRequestsCounter(registry: Registry): Counter<'proto' | 'rcode' | 'source'> {
  const existing = registry.getSingleMetric(REQUESTS_METRIC);
  if (existing) return existing as Counter<'proto' | 'rcode' | 'source'>;
  return new Counter({
    name: REQUESTS_METRIC,
    help: 'DNS requests served by the node, by transport, answer code and whether answered here or forwarded',
    labelNames: ['proto', 'rcode', 'source'],
    registers: [registry],
  });
}

/** A reply of only a header (the query's id, opcode and RD) with `rcode`, for what cannot be
 *  answered properly. */
function headerOnly(query: Buffer, rcode: Rcode): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(query.readUInt16BE(0), 0);
  const flags = query.length >= 4 ? query.readUInt16BE(2) : 0;
  // QR, the query's opcode and RD; RA; the code.
  out.writeUInt16BE(0x8000 | (flags & 0x7900) | 0x0080 | RCODE[rcode], 2);
  return out;
}

/** Our EDNS record: we take UDP answers up to 1232 bytes (the DNS flag day size). */
function ednsAnswer(): dns.Answer {
  return {
    type: 'OPT',
    name: '.',
    udpPayloadSize: 1232,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [],
  } as dns.Answer;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export function splitHostPort(text: string): [string, number] {
  const v6 = /^\[(.+)\]:(\d+)$/.exec(text);
  if (v6) return [v6[1], Number(v6[2])];
  const v4 = /^([^:]+):(\d+)$/.exec(text);
  if (v4) return [v4[1], Number(v4[2])];
  return [text, 53];
}
