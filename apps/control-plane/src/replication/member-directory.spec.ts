import type { ControlPlaneConfig } from '../config/control-plane-config';
import { MemberDirectory } from './member-directory';

describe('MemberDirectory: the client URL a member announces', () => {
  const config = (security?: ControlPlaneConfig['security']) =>
    ({
      name: 'm1',
      clusterToken: 'flotilla',
      advertiseHost: '10.239.0.254',
      etcdPort: 2379,
      peers: [{ name: 'm1', host: '127.0.10.1', port: 2380 }],
      security,
    }) as unknown as ControlPlaneConfig;

  it('is https when the etcd port serves TLS (the secure mode), as etcdctl member list shows it', () => {
    const secure = { mode: 'secure' } as unknown as ControlPlaneConfig['security'];
    expect(new MemberDirectory(config(secure)).self.clientUrls).toEqual([
      'https://10.239.0.254:2379',
    ]);
  });

  it('is http for an --insecure member (h2c)', () => {
    expect(new MemberDirectory(config({ mode: 'insecure' })).self.clientUrls).toEqual([
      'http://10.239.0.254:2379',
    ]);
  });
});
