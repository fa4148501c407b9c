import { RESOURCES } from '@flotilla/api';
import { heldKeys, parseServiceCidr, planAddresses } from './service-addresses';

const services = RESOURCES.find((r) => r.plural === 'services' && r.group === '')!;
const cidr = parseServiceCidr('10.96.0.0/12');
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
