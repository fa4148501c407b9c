import { HostReaders, osImageFrom, readNodeFacts } from './node-facts';

const readers: HostReaders = {
  cpus: () => 2,
  memoryBytes: () => 4 * 2 ** 30,
  diskBytes: async () => 20 * 2 ** 30,
  readText: async (p) =>
    ({
      '/etc/machine-id': 'abc123\n',
      '/proc/sys/kernel/random/boot_id': 'boot-1\n',
      '/etc/os-release': 'NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
    })[p] ?? Promise.reject(new Error('ENOENT')),
  kernel: () => '6.1.0-18-amd64',
  arch: () => 'x64',
};

describe('node facts', () => {
  it('reads capacity, allocatable, nodeInfo and addresses from the host and the runtime', async () => {
    const facts = await readNodeFacts({
      nodeName: 'w1',
      nodeIPs: ['10.231.0.1'],
      rootDir: '/var/lib/kubelet',
      runtime: { runtimeName: 'containerd', runtimeVersion: '1.6.20~ds1', runtimeApiVersion: 'v1' },
      kubeletVersion: 'v1.32.0-flotilla',
      readers,
    });
    expect(facts.capacity).toEqual({
      cpu: '2',
      memory: '4194304Ki',
      'ephemeral-storage': '20971520Ki',
      pods: '110',
    });
    expect(facts.allocatable.memory).toBe(`${4194304 - 102400}Ki`);
    expect(facts.nodeInfo).toMatchObject({
      machineID: 'abc123',
      systemUUID: 'abc123',
      bootID: 'boot-1',
      kernelVersion: '6.1.0-18-amd64',
      osImage: 'Debian GNU/Linux 12 (bookworm)',
      containerRuntimeVersion: 'containerd://1.6.20~ds1',
      operatingSystem: 'linux',
      architecture: 'amd64',
    });
    expect(facts.addresses).toEqual([
      { type: 'InternalIP', address: '10.231.0.1' },
      { type: 'Hostname', address: 'w1' },
    ]);
    expect(facts.allocatableNumbers.cpuMilli).toBe(2000);
  });

  it('falls back to Linux without an os-release', () => {
    expect(osImageFrom('')).toBe('Linux');
  });
});
