import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CNI_CONFLIST_FILE, renderCniConflist, writeCniConfig } from './cni-config';
import { renderMasqueradeScript } from './masquerade';
import { desiredRoutes, diffRoutes } from './routes';
import { node } from './testing/fixtures';

describe('CNI configuration', () => {
  it('bridge with gateway and hairpin, host-local over the node pod range, portmap', () => {
    const conf = JSON.parse(
      renderCniConflist({ podCIDRs: ['10.244.1.0/24'], ipamDataDir: '/d/ipam' }),
    );
    expect(conf).toEqual({
      cniVersion: '1.0.0',
      name: 'flotilla',
      plugins: [
        {
          type: 'bridge',
          bridge: 'cni0',
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: '10.244.1.0/24', gateway: '10.244.1.1' }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: '/d/ipam',
          },
        },
        { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      ],
    });
  });

  it('dual-stack: one range per family', () => {
    const conf = JSON.parse(
      renderCniConflist({ podCIDRs: ['10.244.1.0/24', 'fd00:244:1::/64'], ipamDataDir: '/d' }),
    );
    expect(conf.plugins[0].ipam.ranges).toEqual([
      [{ subnet: '10.244.1.0/24', gateway: '10.244.1.1' }],
      [{ subnet: 'fd00:244:1::/64', gateway: 'fd00:244:1::1' }],
    ]);
    expect(conf.plugins[0].ipam.routes).toEqual([{ dst: '0.0.0.0/0' }, { dst: '::/0' }]);
  });

  it('refuses a node without a pod range, and a range that is not a CIDR', () => {
    expect(() => renderCniConflist({ podCIDRs: [], ipamDataDir: '/d' })).toThrow(
      'the node has no pod CIDR yet',
    );
    expect(() => renderCniConflist({ podCIDRs: ['10.244.1.5/24'], ipamDataDir: '/d' })).toThrow(
      'is not a CIDR',
    );
  });

  it('writes only when the content changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cni-'));
    try {
      const opts = { podCIDRs: ['10.244.1.0/24'], ipamDataDir: join(dir, 'ipam') };
      expect(writeCniConfig(join(dir, 'net.d'), opts)).toBe(true);
      expect(writeCniConfig(join(dir, 'net.d'), opts)).toBe(false);
      expect(readFileSync(join(dir, 'net.d', CNI_CONFLIST_FILE), 'utf8')).toContain(
        '10.244.1.0/24',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('host-gw routes', () => {
  const nodes = [
    node('w1', '10.244.1.0/24', '192.168.50.1'),
    node('w2', '10.244.2.0/24', '192.168.50.2'),
    node('w3', undefined, '192.168.50.3'),
    node('w4', '10.244.4.0/24', '192.168.50.4', {}),
  ];
  nodes[3].metadata.deletionTimestamp = '2026-01-01T00:00:00Z';

  it('routes every other node’s pod range via its InternalIP; skips nodes without a range or going away', () => {
    expect(desiredRoutes(nodes, 'w1')).toEqual([
      { dst: '10.244.2.0/24', via: '192.168.50.2', family: 'ipv4', node: 'w2' },
    ]);
  });

  it('diffs against what is there: new and moved routes replaced, orphans removed', () => {
    const want = desiredRoutes([...nodes, node('w5', '10.244.5.0/24', '192.168.50.5')], 'w1');
    const diff = diffRoutes(
      [
        { dst: '10.244.2.0/24', via: '192.168.50.9' },
        { dst: '10.244.9.0/24', via: '192.168.50.9' },
      ],
      want,
    );
    expect(diff.replace.map((r) => `${r.dst} via ${r.via}`)).toEqual([
      '10.244.2.0/24 via 192.168.50.2',
      '10.244.5.0/24 via 192.168.50.5',
    ]);
    expect(diff.remove).toEqual([{ dst: '10.244.9.0/24', family: 'ipv4' }]);
    expect(
      diffRoutes([{ dst: '10.244.2.0/24', via: '192.168.50.2' }], desiredRoutes(nodes, 'w1')),
    ).toEqual({
      replace: [],
      remove: [],
    });
  });
});

describe('masquerade', () => {
  it('masquerades pod traffic leaving the cluster range, not pod-to-pod or multicast', () => {
    expect(renderMasqueradeScript('ipv4', '10.244.1.0/24', '10.244.0.0/16')).toBe(
      [
        'add table ip flotilla-pod-network { comment "masquerade for pods reaching outside the cluster" ; }',
        'add chain ip flotilla-pod-network postrouting { type nat hook postrouting priority 100 ; }',
        'flush chain ip flotilla-pod-network postrouting',
        'add rule ip flotilla-pod-network postrouting ip saddr 10.244.1.0/24 ip daddr != 10.244.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random',
        '',
      ].join('\n'),
    );
  });
});
