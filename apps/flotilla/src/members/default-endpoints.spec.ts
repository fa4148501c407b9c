import type { ClusterState } from '../cluster-state/cluster-state';
import { NoClusterError } from '../cluster-state/cluster-state';
import { defaultEndpoints, LOOPBACK_ENDPOINTS } from './default-endpoints';

describe('flotilla members: default endpoints', () => {
  const member = (name: string, etcdPort: number) => ({
    name,
    pid: 1,
    state: 'running' as const,
    apiPort: 6443,
    etcdPort,
    peerPort: etcdPort + 1,
    dataDir: `/d/${name}`,
  });

  it('asks the running local cluster where it listens (the fabric address with workers)', () => {
    const state = {
      host: '10.239.0.254',
      members: [member('m1', 2379), member('m2', 2479), member('m3', 2579)],
    } as ClusterState;
    expect(defaultEndpoints('data', () => state)).toBe(
      '10.239.0.254:2379,10.239.0.254:2479,10.239.0.254:2579',
    );
  });

  it('falls back to the loopback ports when no local cluster runs', () => {
    const none = (): ClusterState => {
      throw new NoClusterError('no local cluster running');
    };
    expect(defaultEndpoints('data', none)).toBe(LOOPBACK_ENDPOINTS);
  });
});
