import { clusterDnsIp, clusterDnsServiceBody } from './cluster-dns-service-controller';

describe('the kube-dns Service', () => {
  it('sits at the range’s tenth address', () => {
    expect(clusterDnsIp('10.96.0.1')).toBe('10.96.0.10');
    expect(clusterDnsIp('10.100.7.1')).toBe('10.100.7.10');
    expect(clusterDnsIp('10.0.0.253')).toBe('10.0.1.6');
  });

  it('asks for no address when the server should pick one', () => {
    expect(clusterDnsServiceBody(undefined).spec).not.toHaveProperty('clusterIP');
    expect(clusterDnsServiceBody('10.96.0.10').spec).toMatchObject({
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
    });
  });
});
