// Golden rulesets for each Service shape. Each golden holds what the Service adds to a full sync
// (the fixed skeleton is its own golden); test/integration/kube-proxy-nft.spec.ts loads all of them
// into a real kernel.
import type { EndpointSlice, Service } from './api-types';
import type { RenderOptions } from './render-options';
import { NODE_OPTIONS, port, service, slice } from './testing/fixtures';
import { Scenario, expectGolden } from './testing/golden';
import { fullSyncScript } from './transaction';

function fullScript(objects: (Service | EndpointSlice)[], options: RenderOptions = NODE_OPTIONS) {
  const s = new Scenario(options).with(objects);
  const { next, problems } = s.plan();
  return {
    text: fullSyncScript({ next, existing: undefined, recreateBaseChains: false }).text,
    problems,
    next,
  };
}

/** The lines a set of objects adds to the table of an empty cluster. */
function serviceLines(
  objects: (Service | EndpointSlice)[],
  options: RenderOptions = NODE_OPTIONS,
): string {
  const empty = new Set(fullScript([], options).text.split('\n'));
  const { text, problems } = fullScript(objects, options);
  expect(problems).toEqual([]);
  return (
    text
      .split('\n')
      .filter((line) => line !== '' && !empty.has(line))
      .join('\n') + '\n'
  );
}

const web = (spec: Partial<Service['spec']> = {}, status?: Service['status']) =>
  service(
    'demo',
    'web',
    { clusterIP: '10.96.0.10', ports: [port(80, { name: 'http' })], ...spec },
    status,
  );

const webSlice = (eps: Parameters<typeof slice>[2], ports = [{ name: 'http', port: 8080 }]) =>
  slice('demo', 'web', eps, ports);

describe('full ruleset', () => {
  it('has a fixed skeleton: hooks, dispatch maps, reject and masquerade helpers', () => {
    expectGolden('full-base', fullScript([]).text);
  });

  it('matches every local address for NodePorts with --nodeport-addresses 0.0.0.0/0', () => {
    expectGolden(
      'full-base-nodeport-all',
      fullScript([], { ...NODE_OPTIONS, nodePortIPs: 'all' }).text,
    );
  });

  it('writes an ip6 table for IPv6', () => {
    const v6: RenderOptions = {
      ...NODE_OPTIONS,
      family: 'ipv6',
      nodeIPs: ['fd00:50::1'],
      nodePortIPs: ['fd00:50::1'],
      clusterCIDR: 'fd00:244::/48',
      serviceCIDRs: ['fd00:96::/108'],
    };
    const objects = [
      service('demo', 'web', {
        clusterIPs: ['10.96.0.10', 'fd00:96::a'],
        ports: [port(80, { name: 'http', nodePort: 30080 })],
        type: 'NodePort',
      }),
      slice('demo', 'web', [{ ip: 'fd00:244:1::5', node: 'w1' }], [{ name: 'http', port: 8080 }], {
        addressType: 'IPv6',
      }),
      slice('demo', 'web', [{ ip: '10.244.1.5' }], [{ name: 'http', port: 8080 }], {
        name: 'web-v4',
      }),
    ];
    expectGolden('full-ipv6', fullScript(objects, v6).text);
  });
});

describe('Service shapes', () => {
  it('ClusterIP: random choice among ready endpoints, one DNAT chain each', () => {
    const lines = serviceLines([
      web(),
      webSlice([
        { ip: '10.244.1.5', node: 'w1' },
        { ip: '10.244.2.7', node: 'w2' },
        { ip: '10.244.2.9', ready: false, node: 'w2' },
      ]),
    ]);
    expectGolden('svc-clusterip', lines);
    expect(lines).toContain('numgen random mod 2 vmap');
    expect(lines).not.toContain('10.244.2.9');
  });

  it('no endpoints: the ClusterIP and NodePort are rejected, not black-holed', () => {
    const lines = serviceLines([
      web({ type: 'NodePort', ports: [port(80, { name: 'http', nodePort: 30080 })] }),
    ]);
    expectGolden('svc-no-endpoints', lines);
    expect(lines).toContain(
      'no-endpoint-services { 10.96.0.10 . tcp . 80 comment "demo/web:http" : goto reject-chain }',
    );
    expect(lines).toContain(
      'no-endpoint-nodeports { tcp . 30080 comment "demo/web:http" : goto reject-chain }',
    );
  });

  it('only terminating endpoints: they are used while no ready one exists', () => {
    const lines = serviceLines([
      web(),
      webSlice([
        { ip: '10.244.1.5', ready: false, serving: true, terminating: true },
        { ip: '10.244.1.6', ready: false, serving: false, terminating: true },
      ]),
    ]);
    expectGolden('svc-terminating-fallback', lines);
    expect(lines).toContain('10.244.1.5:8080');
    expect(lines).not.toContain('10.244.1.6');
  });

  it('ready endpoints win over terminating ones', () => {
    const lines = serviceLines([
      web(),
      webSlice([
        { ip: '10.244.1.5', ready: false, serving: true, terminating: true },
        { ip: '10.244.1.6', ready: true },
      ]),
    ]);
    expect(lines).toContain('10.244.1.6:8080');
    expect(lines).not.toContain('10.244.1.5');
  });

  it('NodePort on the node addresses, masqueraded in case the endpoint is elsewhere', () => {
    const lines = serviceLines([
      web({ type: 'NodePort', ports: [port(80, { name: 'http', nodePort: 30080 })] }),
      webSlice([
        { ip: '10.244.1.5', node: 'w1' },
        { ip: '10.244.2.7', node: 'w2' },
      ]),
    ]);
    expectGolden('svc-nodeport', lines);
    expect(lines).toMatch(/service-nodeports \{ tcp \. 30080 : goto external-/);
  });

  it('externalIPs and a LoadBalancer with source ranges', () => {
    const lines = serviceLines([
      web(
        {
          type: 'LoadBalancer',
          externalIPs: ['203.0.113.7'],
          ports: [port(80, { name: 'http', nodePort: 30080 })],
          loadBalancerSourceRanges: ['198.51.100.0/24', '192.168.50.0/24'],
        },
        {
          loadBalancer: {
            ingress: [{ ip: '203.0.113.100' }, { ip: '203.0.113.101', ipMode: 'Proxy' }],
          },
        },
      ),
      webSlice([{ ip: '10.244.1.5', node: 'w1' }]),
    ]);
    expectGolden('svc-loadbalancer', lines);
    expect(lines).not.toContain('203.0.113.101');
  });

  it('sessionAffinity ClientIP: a timed set per endpoint, checked before the random choice', () => {
    const lines = serviceLines([
      web({
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
      }),
      webSlice([{ ip: '10.244.1.5' }, { ip: '10.244.2.7' }]),
    ]);
    expectGolden('svc-affinity', lines);
    expect(lines).toContain('flags dynamic,timeout ; timeout 60s ;');
    expect(lines).toMatch(/update @affinity-\S+ \{ ip saddr \}/);
  });

  it('externalTrafficPolicy Local: external traffic only to this node, pods and the node short-circuit', () => {
    const lines = serviceLines([
      web({
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        ports: [port(80, { name: 'http', nodePort: 30080 })],
      }),
      webSlice([
        { ip: '10.244.1.5', node: 'w1' },
        { ip: '10.244.2.7', node: 'w2' },
      ]),
    ]);
    expectGolden('svc-etp-local', lines);
    expect(lines).toMatch(
      /local-\S+ numgen random mod 1 vmap \{ 0 : goto endpoint-\S+10\.244\.1\.5/,
    );
  });

  it('externalTrafficPolicy Local without a local endpoint: external traffic dropped, ClusterIP works', () => {
    const lines = serviceLines([
      web({
        type: 'NodePort',
        externalTrafficPolicy: 'Local',
        ports: [port(80, { name: 'http', nodePort: 30080 })],
      }),
      webSlice([{ ip: '10.244.2.7', node: 'w2' }]),
    ]);
    expectGolden('svc-etp-local-none-here', lines);
    expect(lines).toContain('no-endpoint-nodeports { tcp . 30080 comment "demo/web:http" : drop }');
    expect(lines).toMatch(/service-ips \{ 10\.96\.0\.10 \. tcp \. 80 : goto service-/);
  });

  it('internalTrafficPolicy Local: ClusterIP only to this node, dropped when none here', () => {
    const here = serviceLines([
      web({ internalTrafficPolicy: 'Local' }),
      webSlice([
        { ip: '10.244.1.5', node: 'w1' },
        { ip: '10.244.2.7', node: 'w2' },
      ]),
    ]);
    expectGolden('svc-itp-local', here);
    expect(here).not.toContain('10.244.2.7');
    const none = serviceLines([
      web({ internalTrafficPolicy: 'Local' }),
      webSlice([{ ip: '10.244.2.7', node: 'w2' }]),
    ]);
    expect(none).toContain(
      'no-endpoint-services { 10.96.0.10 . tcp . 80 comment "demo/web:http" : drop }',
    );
  });

  it('UDP and TCP ports of one Service, matched to slice ports by name', () => {
    const lines = serviceLines([
      service('kube-system', 'dns', {
        clusterIP: '10.96.0.53',
        ports: [
          port(53, { name: 'dns', protocol: 'UDP' }),
          port(53, { name: 'dns-tcp', protocol: 'TCP' }),
        ],
      }),
      slice(
        'kube-system',
        'dns',
        [{ ip: '10.244.1.9' }],
        [
          { name: 'dns', port: 5353, protocol: 'UDP' },
          { name: 'dns-tcp', port: 5353, protocol: 'TCP' },
        ],
      ),
    ]);
    expectGolden('svc-udp-tcp', lines);
    expect(lines).toContain('meta l4proto udp dnat to 10.244.1.9:5353');
    expect(lines).toContain('meta l4proto tcp dnat to 10.244.1.9:5353');
  });

  it('masquerade-all marks every ClusterIP connection', () => {
    const lines = serviceLines([web(), webSlice([{ ip: '10.244.1.5' }])], {
      ...NODE_OPTIONS,
      masqueradeAll: true,
    });
    expect(lines).toMatch(/ip daddr 10\.96\.0\.10 tcp dport 80 jump mark-for-masquerade/);
  });

  it('headless and ExternalName Services add nothing', () => {
    expect(
      serviceLines([
        service('demo', 'db', { clusterIP: 'None', ports: [port(5432)] }),
        slice('demo', 'db', [{ ip: '10.244.1.5' }], [{ port: 5432 }]),
        service('demo', 'ext', { type: 'ExternalName', externalName: 'example.com' }),
      ]),
    ).toBe('\n');
  });
});

describe('bad input', () => {
  it('leaves out a bad endpoint address and keeps the good ones', () => {
    const { text, problems } = fullScript([
      web(),
      webSlice([{ ip: '10.244.1.5' }, { ip: '10.244.1.999' }, { ip: 'not-an-ip' }]),
    ]);
    expect(problems.map((p) => p.message)).toEqual([
      'endpoint address "10.244.1.999" is not an IPv4 address',
      'endpoint address "not-an-ip" is not an IPv4 address',
    ]);
    expect(text).toContain('dnat to 10.244.1.5:8080');
  });

  it('a second Service on the same NodePort is left out; the one already in the table keeps it', () => {
    const api = service('demo', 'api', {
      type: 'NodePort',
      clusterIP: '10.96.0.11',
      ports: [port(81, { nodePort: 30080 })],
    });
    const s = new Scenario(NODE_OPTIONS).with([
      web({ type: 'NodePort', ports: [port(80, { name: 'http', nodePort: 30080 })] }),
      webSlice([{ ip: '10.244.1.5' }]),
    ]);
    s.state = s.plan().next;
    const { next, problems } = s.with([api]).plan();
    expect(problems).toEqual([
      {
        object: 'Service demo/api',
        kind: 'Service',
        namespace: 'demo',
        name: 'api',
        reason: 'Conflict',
        message:
          'port 81/tcp left out: NodePort 30080/tcp is already used by Service demo/web port http (80/tcp)',
      },
    ]);
    expect([...next.services.keys()]).toEqual(['demo/web:http/tcp']);
  });

  it('two new Services on the same address and port: the first by name wins', () => {
    const { problems } = fullScript([
      web(),
      service('demo', 'api', { clusterIP: '10.96.0.10', ports: [port(80)] }),
    ]);
    expect(problems.map((p) => `${p.object}: ${p.message}`)).toEqual([
      'Service demo/web: port http (80/tcp) left out: 10.96.0.10:80/tcp is already used by Service demo/api port 80/tcp',
    ]);
  });

  it('reports a port defined twice and an invalid clusterIP', () => {
    const { problems } = fullScript([
      web({ ports: [port(80, { name: 'http' }), port(81, { name: 'http' })] }),
      service('demo', 'broken', { clusterIP: '10.96.0.300', ports: [port(80)] }),
    ]);
    expect(problems.map((p) => `${p.object}: ${p.message}`)).toEqual([
      'Service demo/web: port http/tcp is defined twice',
      'Service demo/broken: clusterIP "10.96.0.300" is not an IP address',
    ]);
  });
});
