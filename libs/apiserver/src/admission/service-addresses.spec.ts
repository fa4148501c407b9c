import { RESOURCES } from '@flotilla/api';
import {
  firstServiceIp,
  heldKeys,
  parseNodePortRange,
  parseServiceCidr,
  planAddresses,
  ServiceRanges,
} from './service-addresses';

const services = RESOURCES.find((r) => r.plural === 'services' && r.group === '')!;
const cidr: ServiceRanges = {
  cidr: parseServiceCidr('10.96.0.0/12'),
  nodePorts: parseNodePortRange('30000-32767'),
};
const svc = (spec: Record<string, unknown>) => ({ metadata: { name: 's', namespace: 'd' }, spec });

describe('planAddresses', () => {
  it('draws a cluster IP inside the range, never .0 or .1', () => {
    const plan = planAddresses(services, svc({ ports: [{ port: 80 }] }), undefined, cidr, () => 0);
    expect(plan.service.spec).toMatchObject({ clusterIP: '10.96.0.2', clusterIPs: ['10.96.0.2'] });
    expect(plan.claim).toEqual(['/registry/ranges/serviceips/10.96.0.2']);
  });

  it('honours an explicit IP and node port, and rejects ones out of range with 422', () => {
    const plan = planAddresses(
      services,
      svc({ type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ port: 80, nodePort: 30080 }] }),
      undefined,
      cidr,
      () => 0,
    );
    expect([...plan.explicit.keys()]).toEqual([
      '/registry/ranges/serviceips/10.96.0.10',
      '/registry/ranges/servicenodeports/30080',
    ]);
    expect(() =>
      planAddresses(services, svc({ clusterIP: '10.200.0.1' }), undefined, cidr, () => 0),
    ).toThrow(expect.objectContaining({ code: 422 }));
    expect(() =>
      planAddresses(
        services,
        svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }),
        undefined,
        cidr,
        () => 0,
      ),
    ).toThrow(expect.objectContaining({ code: 422 }));
  });

  it('leaves headless services without an address and frees node ports when the type changes', () => {
    expect(
      planAddresses(services, svc({ clusterIP: 'None' }), undefined, cidr, () => 0).claim,
    ).toEqual([]);
    const prev = svc({
      type: 'NodePort',
      clusterIP: '10.96.0.5',
      ports: [{ port: 80, nodePort: 30001 }],
    });
    const plan = planAddresses(
      services,
      svc({ type: 'ClusterIP', clusterIP: '10.96.0.5', ports: [{ port: 80, nodePort: 30001 }] }),
      prev,
      cidr,
      () => 0,
    );
    expect(plan.release).toEqual(['/registry/ranges/servicenodeports/30001']);
    expect(plan.claim).toEqual([]);
    expect(heldKeys(plan.service)).toEqual(['/registry/ranges/serviceips/10.96.0.5']);
  });
});

describe('service ranges', () => {
  it('parses a CIDR to its network and size, and names its first address', () => {
    expect(parseServiceCidr('10.96.0.0/12')).toEqual({
      text: '10.96.0.0/12',
      base: 0x0a600000,
      size: 2 ** 20,
    });
    expect(parseServiceCidr('10.100.7.9/16')).toMatchObject({
      text: '10.100.0.0/16',
      base: 0x0a640000,
    });
    expect(firstServiceIp(parseServiceCidr('10.96.0.0/12'))).toBe('10.96.0.1');
    expect(firstServiceIp(parseServiceCidr('172.30.5.0/24'))).toBe('172.30.5.1');
  });

  it.each([
    ['10.96.0.0', '"10.96.0.0" is not an IPv4 CIDR between /8 and /30'],
    ['10.96.0.0/31', '"10.96.0.0/31" is not an IPv4 CIDR between /8 and /30'],
    ['300.1.1.1/24', '"300.1.1.1/24" is not an IPv4 CIDR between /8 and /30'],
    ['fd00::/108', '"fd00::/108" is not an IPv4 CIDR between /8 and /30'],
  ])('rejects the CIDR %j', (text, message) => {
    expect(() => parseServiceCidr(text)).toThrow(message);
  });

  it('parses a node port range and draws node ports from it', () => {
    const nodePorts = parseNodePortRange('31000-31009');
    expect(nodePorts).toEqual({ min: 31000, max: 31009 });
    const ranges = { ...cidr, nodePorts };
    const plan = planAddresses(
      services,
      svc({ type: 'NodePort', ports: [{ port: 80 }] }),
      undefined,
      ranges,
      (n) => n - 1,
    );
    expect((plan.service.spec as { ports: { nodePort: number }[] }).ports[0].nodePort).toBe(31009);
    expect(() =>
      planAddresses(
        services,
        svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 30000 }] }),
        undefined,
        ranges,
        () => 0,
      ),
    ).toThrow(
      expect.objectContaining({
        message: expect.stringContaining('The range of valid ports is 31000-31009'),
      }),
    );
  });

  it.each([
    ['30000', '"30000" is not a port range like 30000-32767 (ports 1-65535)'],
    ['0-100', '"0-100" is not a port range like 30000-32767 (ports 1-65535)'],
    ['30000-70000', '"30000-70000" is not a port range like 30000-32767 (ports 1-65535)'],
    ['32767-30000', '"32767-30000" starts above its end'],
  ])('rejects the node port range %j', (text, message) => {
    expect(() => parseNodePortRange(text)).toThrow(message);
  });
});
