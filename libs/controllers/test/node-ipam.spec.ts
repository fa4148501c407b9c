// Node IPAM against a real API server: ranges given in order, released on deletion, never twice,
// across a restart of the controller and against a late write from a previous leader.
import { isApiError } from '@flotilla/api';
import type { Node } from '@flotilla/client';
import { NodeIpamController, podCidrsOf } from '../src/node-ipam/node-ipam-controller';
import { eventReasons, eventually, startHarness, type Harness } from './harness-b';

describe('node IPAM', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.stop());

  const addNode = (name: string, spec: Node['spec'] = {}) =>
    h.client.nodes().create({ metadata: { name }, spec });
  const cidrOf = async (name: string) => podCidrsOf(await h.client.nodes().get(name))[0];
  const allocated = (names: string[]) =>
    eventually(
      async () => {
        const out: Record<string, string> = {};
        for (const n of names) {
          const c = await cidrOf(n);
          if (!c) return undefined;
          out[n] = c;
        }
        return out;
      },
      `ranges for ${names.join(', ')}`,
    );

  it('gives each node its own /24 of 10.244.0.0/16, podCIDR and podCIDRs', async () => {
    for (const n of ['a', 'b', 'c']) await addNode(n);
    h.run(new NodeIpamController());
    expect(await allocated(['a', 'b', 'c'])).toEqual({
      a: '10.244.0.0/24',
      b: '10.244.1.0/24',
      c: '10.244.2.0/24',
    });
    const a = await h.client.nodes().get('a');
    expect(a.spec).toMatchObject({ podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] });
    // A node that joins later gets the next one; a deleted node's range comes back, given last.
    await h.client.nodes().delete('b');
    await addNode('d');
    expect((await allocated(['d'])).d).toBe('10.244.3.0/24');
  });

  it('never gives one range twice across a restart of the controller', async () => {
    for (const n of ['n1', 'n2', 'n3']) await addNode(n);
    const first = h.run(new NodeIpamController(), {
      'cluster-cidr': '10.10.0.0/22',
      'node-cidr-mask-size': '24',
    });
    await allocated(['n1', 'n2', 'n3']);
    await first.stop();
    await h.client.nodes().delete('n2');
    await addNode('n4');
    await addNode('n5');
    h.run(new NodeIpamController(), {
      'cluster-cidr': '10.10.0.0/22',
      'node-cidr-mask-size': '24',
    });
    const all = await allocated(['n1', 'n3', 'n4', 'n5']);
    expect(new Set(Object.values(all)).size).toBe(4);
    expect(Object.values(all).sort()).toEqual([
      '10.10.0.0/24',
      '10.10.1.0/24',
      '10.10.2.0/24',
      '10.10.3.0/24',
    ]);
  });

  it("learns a range the previous leader's write gave, and fences off one still in flight", async () => {
    const flags = { 'cluster-cidr': '10.0.0.0/30', 'node-cidr-mask-size': '31' }; // two ranges
    // The previous leader's write landed: the new one must not give 10.0.0.0/31 again.
    await addNode('landed', { podCIDR: '10.0.0.0/31', podCIDRs: ['10.0.0.0/31'] });
    // It sent another, for b-late, against this resourceVersion; it has not landed yet.
    const inFlight = await addNode('b-late');
    await addNode('a-other');
    const run = h.run(new NodeIpamController(), flags);
    expect((await allocated(['a-other']))['a-other']).toBe('10.0.0.2/31');
    await eventually(
      async () =>
        (await eventReasons(h.client, { metadata: { name: 'b-late' } })).includes(
          'CIDRNotAvailable',
        ),
      'b-late waits for a range',
    );
    // The old write arrives now, giving b-late the range a-other holds: refused, because the
    // new leader rewrote b-late before giving anything out.
    const stale = { ...inFlight, spec: { podCIDR: '10.0.0.2/31', podCIDRs: ['10.0.0.2/31'] } };
    const refused = await h.client
      .nodes()
      .update(stale)
      .catch((e: unknown) => e);
    expect(isApiError(refused) && refused.status.code).toBe(409);
    expect(await cidrOf('b-late')).toBeUndefined();
    // And a range once set stays set, whatever the resourceVersion (422 from the API server).
    const other = await h.client.nodes().get('a-other');
    const moved = await h.client
      .nodes()
      .update({
        ...other,
        spec: { ...other.spec, podCIDR: '10.0.0.0/31', podCIDRs: ['10.0.0.0/31'] },
      })
      .catch((e: unknown) => e);
    expect(isApiError(moved) && moved.status.code).toBe(422);
    expect(run.logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('says when the range is exhausted, and serves the waiting node once one is released', async () => {
    const flags = { 'cluster-cidr': '10.0.0.0/30', 'node-cidr-mask-size': '31' };
    for (const n of ['x', 'y', 'z']) await addNode(n);
    h.run(new NodeIpamController(), flags);
    await allocated(['x', 'y']);
    await eventually(
      async () =>
        (await eventReasons(h.client, { metadata: { name: 'z' } })).includes('CIDRNotAvailable'),
      'CIDRNotAvailable event for z',
    );
    expect(await cidrOf('z')).toBeUndefined();
    const xRange = await cidrOf('x');
    await h.client.nodes().delete('x');
    // The queue retries z with back-off (5 ms doubling): give it a few fake seconds.
    await eventually(async () => {
      await h.clock.advance(500);
      return (await cidrOf('z')) === xRange;
    }, 'z gets the released range');
  });

  it('does nothing with --allocate-node-cidrs=false, and refuses bad flags', async () => {
    await addNode('quiet');
    const off = h.run(new NodeIpamController(), { 'allocate-node-cidrs': 'false' });
    await new Promise((r) => setTimeout(r, 100));
    expect(await cidrOf('quiet')).toBeUndefined();
    await off.stop();
    const bad = h.run(new NodeIpamController(), { 'cluster-cidr': '10.244.0.0/16,fd00::/48' });
    await bad.finished;
    expect(bad.logs.at(-1)?.fields?.err).toContain('one IPv4 CIDR only');
  });
});
