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
});
