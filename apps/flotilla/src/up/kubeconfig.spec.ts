import { parseKubeconfig, peerContexts } from '@flotilla/client';
import { renderKubeconfig } from './kubeconfig';

describe('renderKubeconfig', () => {
  it('names a cluster and a context per master and selects the first', () => {
    const text = renderKubeconfig(
      [
        { name: 'm1', apiPort: 6443 },
        { name: 'm2', apiPort: 6444 },
      ],
      '127.0.0.1',
    );
    expect(text).toContain('- name: flotilla-m1\n  cluster:\n    server: http://127.0.0.1:6443\n');
    expect(text).toContain('    server: http://127.0.0.1:6444\n');
    expect(text).toContain('- name: flotilla-m2\n  context:\n    cluster: flotilla-m2\n');
    expect(text).toContain('current-context: flotilla-m1\n');
  });

  it('connects to loopback when the members listen on every address', () => {
    expect(renderKubeconfig([{ name: 'm1', apiPort: 7000 }], '0.0.0.0')).toContain(
      'server: http://127.0.0.1:7000',
    );
  });

  it('reads back through @flotilla/client as one cluster of failover peers, with or without TLS', () => {
    const members = [
      { name: 'm1', apiPort: 6443 },
      { name: 'm2', apiPort: 6444 },
      { name: 'm3', apiPort: 6445 },
    ];
    const plain = peerContexts(parseKubeconfig(renderKubeconfig(members, '127.0.0.1'), '/k'));
    expect(plain.map((p) => p.server)).toEqual([
      'http://127.0.0.1:6443',
      'http://127.0.0.1:6444',
      'http://127.0.0.1:6445',
    ]);
    const caData = Buffer.from('CA').toString('base64');
    const tls = peerContexts(
      parseKubeconfig(renderKubeconfig(members, '127.0.0.1', { caData, token: 'tok' }), '/k'),
      'flotilla-m2',
    );
    expect(tls.map((p) => p.context)).toEqual(['flotilla-m2', 'flotilla-m1', 'flotilla-m3']);
    expect(tls[0].tls?.ca?.toString()).toBe('CA');
    expect(tls[0].authorization?.()).toBe('Bearer tok');
  });
});
