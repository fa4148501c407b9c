// Cluster DNS on loopback: the records Kubernetes' DNS specification asks for, answered by a real
// resolver (Node's c-ares) over UDP and by hand over TCP; forwarding; bad queries.
import { service, port, slice } from '@flotilla/kube-proxy/testing/fixtures';
import { JsonLogger, memorySink } from '@flotilla/observability';
import * as dns from 'dns-packet';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { connect } from 'node:net';
import { Registry } from 'prom-client';
import { ClusterRecords } from './cluster-records';
import { ClusterDnsServer } from './dns-server';
import { parseResolvConf, podResolvConf } from './resolv-conf';

const web = service('demo', 'web', {
  clusterIP: '10.96.0.10',
  ports: [port(80, { name: 'http' }), port(53, { name: 'dns', protocol: 'UDP' })],
});
const db = service('demo', 'db', { clusterIP: 'None', ports: [port(5432, { name: 'pg' })] });
const dbSlice = {
  ...slice(
    'demo',
    'db',
    [
      { ip: '10.244.1.5', hostname: 'db-0' },
      { ip: '10.244.2.6', hostname: 'db-1' },
      { ip: '10.244.2.7', ready: false, hostname: 'db-2' },
      { ip: '10.244.3.8' },
    ],
    [{ name: 'pg', port: 5432 }],
  ),
};
const ext = service('demo', 'ext', { type: 'ExternalName', externalName: 'example.org' });

describe('cluster records', () => {
  const records = new ClusterRecords();
  records.upsertService(web);
  records.upsertService(db);
  records.upsertSlice(dbSlice);
  records.upsertService(ext);
  const data = (name: string, type: string) =>
    records.lookup(name, type).answers.map((a) => a.record.data);

  it('a Service name resolves to its ClusterIP', () => {
    expect(data('web.demo.svc.cluster.local', 'A')).toEqual(['10.96.0.10']);
    expect(data('WEB.demo.svc.cluster.local.', 'A')).toEqual(['10.96.0.10']);
  });

  it('a headless Service resolves to its ready endpoints, each also by hostname or dashed address', () => {
    expect(data('db.demo.svc.cluster.local', 'A')).toEqual([
      '10.244.1.5',
      '10.244.2.6',
      '10.244.3.8',
    ]);
    expect(data('db-1.db.demo.svc.cluster.local', 'A')).toEqual(['10.244.2.6']);
    expect(data('10-244-3-8.db.demo.svc.cluster.local', 'A')).toEqual(['10.244.3.8']);
    expect(records.lookup('db-2.db.demo.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN');
  });

  it('SRV for named ports: the Service name for a ClusterIP, each endpoint for a headless one', () => {
    expect(data('_http._tcp.web.demo.svc.cluster.local', 'SRV')).toEqual([
      { priority: 0, weight: 100, port: 80, target: 'web.demo.svc.cluster.local' },
    ]);
    expect(data('_dns._udp.web.demo.svc.cluster.local', 'SRV')).toHaveLength(1);
    const pg = records.lookup('_pg._tcp.db.demo.svc.cluster.local', 'SRV');
    expect(pg.answers).toHaveLength(3);
    expect(pg.additionals.map((a) => `${a.name} ${a.record.data as string}`)).toContain(
      'db-0.db.demo.svc.cluster.local 10.244.1.5',
    );
  });

  it('PTR for ClusterIPs and headless endpoints; CNAME for ExternalName; pod names', () => {
    expect(data('10.0.96.10.in-addr.arpa', 'PTR')).toEqual(['web.demo.svc.cluster.local']);
    expect(data('5.1.244.10.in-addr.arpa', 'PTR')).toEqual(['db-0.db.demo.svc.cluster.local']);
    expect(data('ext.demo.svc.cluster.local', 'A')).toEqual(['example.org']);
    expect(data('10-244-1-99.demo.pod.cluster.local', 'A')).toEqual(['10.244.1.99']);
  });

  it('NXDOMAIN for unknown names, NODATA for names that exist without that type', () => {
    expect(records.lookup('nope.demo.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN');
    expect(records.lookup('demo.svc.cluster.local', 'A')).toEqual({
      rcode: 'NOERROR',
      answers: [],
      additionals: [],
    });
    expect(records.lookup('web.demo.svc.cluster.local', 'AAAA')).toEqual({
      rcode: 'NOERROR',
      answers: [],
      additionals: [],
    });
  });

  it('a deleted Service is gone at once', () => {
    const r = new ClusterRecords();
    r.upsertService(web);
    r.deleteService(web);
    expect(r.lookup('web.demo.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN');
    expect(r.lookup('demo.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN');
  });
});

describe('resolv.conf', () => {
  it('the pod side: cluster DNS, the namespace search path, ndots:5', () => {
    expect(podResolvConf('10.96.0.10', 'demo')).toBe(
      'nameserver 10.96.0.10\nsearch demo.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n',
    );
  });
  it('the node side: its nameservers', () => {
    expect(
      parseResolvConf('# x\nnameserver 10.0.0.2\nnameserver bogus\nsearch a b\noptions edns0\n'),
    ).toEqual({
      nameservers: ['10.0.0.2'],
      search: ['a', 'b'],
      options: ['edns0'],
    });
  });
});

describe('DNS server', () => {
  let server: ClusterDnsServer;
  let upstream: ClusterDnsServer;
  let dnsPort: number;
  let resolver: Resolver;
  const records = new ClusterRecords();
  const registry = new Registry();

  beforeAll(async () => {
    // The "node's resolver": another server that knows a name outside the cluster.
    const outside = new ClusterRecords('example.org');
    outside.upsertService(service('www', 'x', { clusterIP: '192.0.2.80', ports: [] }));
    const logger = new JsonLogger({ node: 't', component: 'dns', sink: memorySink() });
    upstream = new ClusterDnsServer({ records: outside, upstreams: [], logger });
    const upstreamPort = await upstream.listen('127.0.0.1', 0);
    records.upsertService(web);
    records.upsertService(db);
    records.upsertSlice(dbSlice);
    server = new ClusterDnsServer({
      records,
      upstreams: [`127.0.0.1:${upstreamPort}`],
      logger,
      registry,
      forwardTimeoutMs: 500,
    });
    dnsPort = await server.listen('127.0.0.1', 0);
    resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${dnsPort}`]);
  });

  afterAll(async () => {
    await server.close();
    await upstream.close();
  });

  it('answers a real resolver over UDP', async () => {
    expect(await resolver.resolve4('web.demo.svc.cluster.local')).toEqual(['10.96.0.10']);
    expect((await resolver.resolve4('db.demo.svc.cluster.local')).sort()).toEqual([
      '10.244.1.5',
      '10.244.2.6',
      '10.244.3.8',
    ]);
    expect(await resolver.resolveSrv('_http._tcp.web.demo.svc.cluster.local')).toEqual([
      { name: 'web.demo.svc.cluster.local', port: 80, priority: 0, weight: 100 },
    ]);
    expect(await resolver.reverse('10.96.0.10')).toEqual(['web.demo.svc.cluster.local']);
  });

  it('NXDOMAIN for an unknown cluster name', async () => {
    await expect(resolver.resolve4('nope.demo.svc.cluster.local')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
  });

  it('a Service added later resolves at once', async () => {
    await expect(resolver.resolve4('late.demo.svc.cluster.local')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
    records.upsertService(service('demo', 'late', { clusterIP: '10.96.0.77', ports: [port(80)] }));
    expect(await resolver.resolve4('late.demo.svc.cluster.local')).toEqual(['10.96.0.77']);
  });

  it('forwards names outside the cluster to the node’s resolver, over UDP and TCP', async () => {
    expect(await resolver.resolve4('x.www.svc.example.org')).toEqual(['192.0.2.80']);
    const answer = await tcpQuery(dnsPort, {
      id: 7,
      type: 'query',
      flags: dns.RECURSION_DESIRED,
      questions: [{ type: 'A', name: 'x.www.svc.example.org' }],
    });
    expect(answer.answers?.map((a) => (a as { data: unknown }).data)).toEqual(['192.0.2.80']);
  });

  it('answers over TCP, several queries on one connection in order', async () => {
    const socket = connect({ host: '127.0.0.1', port: dnsPort });
    const frames = [1, 2, 3].map((id) =>
      dns.streamEncode({
        id,
        type: 'query',
        questions: [{ type: 'A', name: 'web.demo.svc.cluster.local' }],
      }),
    );
    socket.write(Buffer.concat(frames));
    const answers = await readFrames(socket, 3);
    expect(
      answers.map((a) => [a.id, (a.answers?.[0] as { data?: unknown } | undefined)?.data]),
    ).toEqual([
      [1, '10.96.0.10'],
      [2, '10.96.0.10'],
      [3, '10.96.0.10'],
    ]);
    socket.destroy();
  });

  it('FORMERR for a malformed query, and the server keeps serving', async () => {
    const garbage = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff]);
    const reply = await udpExchange(dnsPort, garbage);
    expect(reply.readUInt16BE(0)).toBe(0x1234);
    expect(reply.readUInt16BE(2) & 0x8000).toBe(0x8000);
    expect(reply.readUInt16BE(2) & 0xf).toBe(1); // FORMERR
    const two = dns.encode({
      id: 9,
      type: 'query',
      questions: [
        { type: 'A', name: 'a.demo.svc.cluster.local' },
        { type: 'A', name: 'b.demo.svc.cluster.local' },
      ],
    });
    expect((await udpExchange(dnsPort, two)).readUInt16BE(2) & 0xf).toBe(1);
    const notQuery = Buffer.from(
      dns.encode({
        id: 10,
        type: 'query',
        questions: [{ type: 'A', name: 'web.demo.svc.cluster.local' }],
      }),
    );
    notQuery.writeUInt16BE(notQuery.readUInt16BE(2) | (2 << 11), 2); // opcode STATUS
    expect((await udpExchange(dnsPort, notQuery)).readUInt16BE(2) & 0xf).toBe(4); // NOTIMP
    expect(await resolver.resolve4('web.demo.svc.cluster.local')).toEqual(['10.96.0.10']);
    const counted = (await registry.getMetricsAsJSON()).find(
      (m) => m.name === 'flotilla_cluster_dns_requests_total',
    );
    expect(counted?.values.some((v) => v.labels.rcode === 'FORMERR')).toBe(true);
  });

  it('truncates a UDP answer that does not fit 512 bytes, so the client asks again over TCP', async () => {
    const big = service('demo', 'big', { clusterIP: 'None', ports: [port(80)] });
    const eps = Array.from({ length: 60 }, (_, i) => ({ ip: `10.244.9.${i + 1}` }));
    records.upsertService(big);
    records.upsertSlice(slice('demo', 'big', eps, [{ port: 80 }]));
    const reply = dns.decode(
      await udpExchange(
        dnsPort,
        dns.encode({
          id: 11,
          type: 'query',
          questions: [{ type: 'A', name: 'big.demo.svc.cluster.local' }],
        }),
      ),
    );
    expect(reply.flag_tc).toBe(true);
    expect((await resolver.resolve4('big.demo.svc.cluster.local')).length).toBe(60); // c-ares retried over TCP
  });

  it('SERVFAIL when the node’s resolver does not answer', async () => {
    const logger = new JsonLogger({ node: 't', component: 'dns', sink: memorySink() });
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    const lonely = new ClusterDnsServer({
      records,
      upstreams: [`127.0.0.1:${silent.address().port}`],
      logger,
      forwardTimeoutMs: 200,
    });
    const p = await lonely.listen('127.0.0.1', 0);
    const reply = await udpExchange(
      p,
      dns.encode({ id: 12, type: 'query', questions: [{ type: 'A', name: 'example.com' }] }),
    );
    expect(reply.readUInt16BE(2) & 0xf).toBe(2);
    await lonely.close();
    silent.close();
  });
});

function udpExchange(port: number, message: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('no UDP answer'));
    }, 3000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(message, port, '127.0.0.1');
  });
}

async function tcpQuery(port: number, packet: dns.Packet): Promise<dns.DecodedPacket> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.write(dns.streamEncode(packet));
  const [answer] = await readFrames(socket, 1);
  socket.destroy();
  return answer;
}

function readFrames(
  socket: ReturnType<typeof connect>,
  count: number,
): Promise<dns.DecodedPacket[]> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const out: dns.DecodedPacket[] = [];
    const timer = setTimeout(() => reject(new Error('no TCP answer')), 3000);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(dns.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length >= count) {
        clearTimeout(timer);
        resolve(out);
      }
    });
  });
}
