import { categorizeEndpoints } from './categorize';
import { serviceEndpoints } from './endpoints';
import { cidrContains, parseCidr, parseIP } from './ip';
import { checkNodePortAddresses, resolveNodePortIPs } from './node-port-addresses';
import { servicePorts } from './service-ports';
import { port, service, slice } from './testing/fixtures';

describe('addresses', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['fd00:0:0:1::0', 'fd00:0:0:1::'],
    ['::ffff:10.0.0.1', undefined],
    ['010.0.0.1', undefined],
    ['10.0.0.256', undefined],
    ['fe80::1%eth0', undefined],
    ['', undefined],
  ])('%s → %s', (text, canonical) => {
    expect(parseIP(text)?.ip).toBe(canonical);
  });

  it('parses CIDRs, refusing host bits unless asked not to', () => {
    expect(parseCidr('10.244.0.0/16')?.text).toBe('10.244.0.0/16');
    expect(parseCidr('10.244.1.0/16')).toBeUndefined();
    expect(parseCidr('10.244.1.0/16', { strict: false })?.text).toBe('10.244.0.0/16');
    expect(parseCidr('fd00::/8')?.text).toBe('fd00::/8');
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    const cidr = parseCidr('10.244.0.0/16')!;
    expect(cidrContains(cidr, '10.244.200.1')).toBe(true);
    expect(cidrContains(cidr, '10.245.0.1')).toBe(false);
    expect(cidrContains(cidr, 'fd00::1')).toBe(false);
  });
});

describe('Service ports', () => {
  it('dual-stack: one port per family with that family’s ClusterIP and externalIPs', () => {
    const svc = service('demo', 'web', {
      clusterIPs: ['10.96.0.10', 'fd00:96::a'],
      externalIPs: ['203.0.113.7', '2001:db8::7'],
      ports: [port(80)],
    });
    expect(servicePorts(svc, 'ipv4').ports[0]).toMatchObject({
      clusterIP: '10.96.0.10',
      externalIPs: ['203.0.113.7'],
    });
    expect(servicePorts(svc, 'ipv6').ports[0]).toMatchObject({
      clusterIP: 'fd00:96::a',
      externalIPs: ['2001:db8::7'],
    });
  });

  it('a NodePort only for NodePort and LoadBalancer types; affinity defaults to three hours', () => {
    const cluster = service('demo', 'a', {
      clusterIP: '10.96.0.1',
      ports: [port(80, { nodePort: 30001 })],
    });
    expect(servicePorts(cluster, 'ipv4').ports[0].nodePort).toBe(0);
    const np = service('demo', 'b', {
      type: 'NodePort',
      clusterIP: '10.96.0.2',
      sessionAffinity: 'ClientIP',
      ports: [port(80, { nodePort: 30001 })],
    });
    expect(servicePorts(np, 'ipv4').ports[0]).toMatchObject({
      nodePort: 30001,
      affinityTimeoutSeconds: 10800,
    });
  });

  it('externalTrafficPolicy Local counts only for externally reachable ports', () => {
    const svc = service('demo', 'a', {
      clusterIP: '10.96.0.1',
      externalTrafficPolicy: 'Local',
      ports: [port(80)],
    });
    expect(servicePorts(svc, 'ipv4').ports[0].externalPolicyLocal).toBe(false);
  });

  it('reports bad ports, protocols and addresses and keeps the good parts', () => {
    const svc = service('demo', 'a', {
      clusterIP: '10.96.0.1',
      externalIPs: ['nope'],
      ports: [port(0), port(80, { protocol: 'ICMP' }), port(443)],
    });
    const { ports, problems } = servicePorts(svc, 'ipv4');
    expect(ports.map((p) => p.port)).toEqual([443]);
    expect(problems.map((p) => p.message)).toEqual([
      'externalIP "nope" is not an IP address',
      'port 0: port 0 is not in 1-65535',
      'port 80: protocol "ICMP" is not TCP, UDP or SCTP',
    ]);
  });
});

describe('endpoints', () => {
  it('merges slices, counts an address once, sorts by address, knows which are local', () => {
    const a = slice(
      'demo',
      'web',
      [
        { ip: '10.244.2.7', node: 'w2' },
        { ip: '10.244.1.10', node: 'w1' },
      ],
      [{ name: 'http', port: 8080 }],
      {
        name: 'web-a',
      },
    );
    const b = slice(
      'demo',
      'web',
      [{ ip: '10.244.1.10', ready: false }, { ip: '10.244.1.9' }],
      [{ name: 'http', port: 8080 }],
      {
        name: 'web-b',
      },
    );
    const eps = serviceEndpoints([b, a], 'ipv4', 'w1').byPort.get('http/tcp')!;
    expect(eps.map((e) => [e.address, e.ready, e.isLocal])).toEqual([
      ['10.244.1.9:8080', true, false],
      ['10.244.1.10:8080', true, true],
      ['10.244.2.7:8080', true, false],
    ]);
  });

  it('ignores slices of the other family and FQDN slices', () => {
    const v6 = slice('demo', 'web', [{ ip: 'fd00::5' }], [{ port: 80 }], { addressType: 'IPv6' });
    const fqdn = slice('demo', 'web', [{ ip: 'example.com' }], [{ port: 80 }], {
      addressType: 'FQDN',
      name: 'x',
    });
    const r = serviceEndpoints([v6, fqdn], 'ipv4', 'w1');
    expect(r.byPort.size).toBe(0);
    expect(r.problems).toEqual([]);
  });

  it('Local policies: local ready endpoints, else local serving-terminating ones', () => {
    const sp = servicePorts(
      service('demo', 'web', {
        clusterIP: '10.96.0.1',
        internalTrafficPolicy: 'Local',
        ports: [port(80)],
      }),
      'ipv4',
    ).ports[0];
    const eps = serviceEndpoints(
      [
        slice(
          'demo',
          'web',
          [
            { ip: '10.244.1.5', node: 'w1', ready: false, serving: true, terminating: true },
            { ip: '10.244.2.5', node: 'w2' },
          ],
          [{ port: 80 }],
        ),
      ],
      'ipv4',
      'w1',
    ).byPort.get('/tcp')!;
    const c = categorizeEndpoints(sp, eps);
    expect(c.local.map((e) => e.ip)).toEqual(['10.244.1.5']);
    expect(c.cluster).toEqual([]);
    expect(c.hasAny).toBe(true);
  });
});

describe('--nodeport-addresses', () => {
  const local = ['127.0.0.1', '192.168.50.1', '10.244.1.1', 'fd00:50::1'];
  it('defaults to the node’s primary addresses', () => {
    expect(resolveNodePortIPs([], 'ipv4', ['192.168.50.1'], local)).toEqual(['192.168.50.1']);
  });
  it('selects local addresses by CIDR, or all of them', () => {
    expect(
      resolveNodePortIPs(['10.244.0.0/16', 'primary'], 'ipv4', ['192.168.50.1'], local),
    ).toEqual(['10.244.1.1', '192.168.50.1']);
    expect(resolveNodePortIPs(['0.0.0.0/0'], 'ipv4', [], local)).toBe('all');
    expect(resolveNodePortIPs(['::/0'], 'ipv6', [], local)).toBe('all');
  });
  it('rejects a value that is neither primary nor a CIDR', () => {
    expect(checkNodePortAddresses(['primary', '10.0.0.0/8'])).toBeUndefined();
    expect(checkNodePortAddresses(['eth0'])).toBe('"eth0" is neither "primary" nor a CIDR');
  });
});
