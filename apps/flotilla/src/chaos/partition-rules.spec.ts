import { planPartition, renderHeal, renderPartition } from './partition-rules';

const members = [
  { name: 'm1', host: '127.0.10.1', port: 2380 },
  { name: 'm2', host: '127.0.10.2', port: 2480 },
  { name: 'm3', host: '127.0.10.3', port: 2580 },
];

describe('partition rules', () => {
  it('drops both directions between the isolated address and the others, on the peer ports only', () => {
    const p = planPartition(members, 'm2');
    if ('impossible' in p) throw new Error(p.impossible);
    expect(renderPartition(p)).toBe(
      [
        'add table inet flotilla-chaos',
        'add chain inet flotilla-chaos partition-2380 { type filter hook input priority -10; policy accept; }',
        'flush chain inet flotilla-chaos partition-2380',
        'add rule inet flotilla-chaos partition-2380 ip saddr 127.0.10.2 ip daddr { 127.0.10.1, 127.0.10.3 } tcp dport { 2380, 2480, 2580 } drop',
        'add rule inet flotilla-chaos partition-2380 ip saddr 127.0.10.2 ip daddr { 127.0.10.1, 127.0.10.3 } tcp sport { 2380, 2480, 2580 } drop',
        'add rule inet flotilla-chaos partition-2380 ip saddr { 127.0.10.1, 127.0.10.3 } ip daddr 127.0.10.2 tcp dport { 2380, 2480, 2580 } drop',
        'add rule inet flotilla-chaos partition-2380 ip saddr { 127.0.10.1, 127.0.10.3 } ip daddr 127.0.10.2 tcp sport { 2380, 2480, 2580 } drop',
        '',
      ].join('\n'),
    );
    expect(renderHeal(p.chain)).toBe(
      'flush chain inet flotilla-chaos partition-2380\ndelete chain inet flotilla-chaos partition-2380\n',
    );
  });

  it('says why members sharing one address cannot be partitioned by a rule', () => {
    const shared = members.map((m) => ({ ...m, host: '127.0.0.1' }));
    expect(planPartition(shared, 'm1')).toEqual({
      impossible: 'm1 shares its Raft address 127.0.0.1 with m2, m3',
    });
    expect(planPartition(members, 'm9')).toEqual({ impossible: 'no member m9' });
  });

  it('uses ip6 matches for IPv6 peer addresses', () => {
    const v6 = members.map((m, i) => ({ ...m, host: `fd00::${i + 1}` }));
    const p = planPartition(v6, 'm1');
    if ('impossible' in p) throw new Error(p.impossible);
    expect(renderPartition(p)).toContain('ip6 saddr fd00::1 ip6 daddr { fd00::2, fd00::3 }');
  });
});
