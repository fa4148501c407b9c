import { CidrSet, parseIpv4Cidr } from './cidr-set';

describe('CidrSet', () => {
  it('cuts 10.244.0.0/16 into 256 /24s, handed out in order, round-robin after a release', () => {
    const set = new CidrSet('10.244.0.0/16', 24);
    expect(set.size).toBe(256);
    expect(set.allocateNext()).toBe('10.244.0.0/24');
    expect(set.allocateNext()).toBe('10.244.1.0/24');
    set.release('10.244.0.0/24');
    expect(set.allocateNext()).toBe('10.244.2.0/24'); // the released one comes last
    expect(set.allocated).toBe(2);
  });

  it('skips what is occupied, refuses ranges outside, and says when it is full', () => {
    const set = new CidrSet('10.0.0.0/30', 31);
    expect(set.occupy('10.0.0.0/31')).toBe(true);
    expect(set.occupy('10.1.0.0/31')).toBe(false);
    expect(set.occupy('not a cidr')).toBe(false);
    expect(set.allocateNext()).toBe('10.0.0.2/31');
    expect(set.allocateNext()).toBeUndefined();
    set.release('10.0.0.0/31');
    expect(set.allocateNext()).toBe('10.0.0.0/31');
  });

  it('marks every subnet a larger range covers', () => {
    const set = new CidrSet('10.244.0.0/16', 24);
    set.occupy('10.244.0.0/23');
    expect(set.isTaken('10.244.1.0/24')).toBe(true);
    expect(set.allocateNext()).toBe('10.244.2.0/24');
  });

  it('refuses settings kube-controller-manager would refuse', () => {
    expect(() => new CidrSet('fd00::/48', 64)).toThrow(
      '--cluster-cidr: "fd00::/48" is not an IPv4 CIDR',
    );
    expect(() => new CidrSet('10.244.0.0/16', 8)).toThrow('must be between');
    expect(() => new CidrSet('10.0.0.0/8', 30)).toThrow('more than 2^16 ranges');
    expect(parseIpv4Cidr('10.244.3.7/16')).toEqual({
      base: parseIpv4Cidr('10.244.0.0/16')!.base,
      bits: 16,
    });
  });
});
