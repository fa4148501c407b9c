import { Command, CompareResult, CompareTarget, RequestOp, encodeCommand, prefixEnd } from '../src';
import { Harness, dump, prng } from './helpers';

/** A random but reproducible workload over a small key space, including invalid requests. */
function randomCommands(seed: number, n: number): Command[] {
  const rand = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const key = () => Buffer.from(`k/${Math.floor(rand() * 20)}`);
  const value = () => Buffer.from(`v${Math.floor(rand() * 1000)}`);
  const lease = () => (rand() < 0.2 ? pick([1, 2, 3]) : 0);
  const cmds: Command[] = [];
  let revisionGuess = 0;
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.45) {
      cmds.push({ type: 'put', request: { key: key(), value: value(), lease: lease() } });
      revisionGuess++;
    } else if (r < 0.55) {
      const k = key();
      const ranged = rand() < 0.3;
      cmds.push({
        type: 'deleteRange',
        request: { key: k, rangeEnd: ranged ? prefixEnd(Buffer.from('k/1')) : undefined },
      });
    } else if (r < 0.8) {
      const put = (): RequestOp => ({ requestPut: { key: key(), value: value() } });
      cmds.push({
        type: 'txn',
        request: {
          compare: [
            {
              key: key(),
              target: pick([CompareTarget.VERSION, CompareTarget.MOD, CompareTarget.VALUE]),
              result: pick([CompareResult.EQUAL, CompareResult.GREATER, CompareResult.LESS]),
              version: Math.floor(rand() * 3),
              modRevision: Math.floor(rand() * revisionGuess),
              value: value(),
            },
          ],
          success: [put(), { requestRange: { key: key() } }, put()],
          failure: [{ requestDeleteRange: { key: key() } }],
        },
      });
    } else if (r < 0.88) {
      cmds.push({ type: 'leaseGrant', request: { id: pick([1, 2, 3]), ttl: 10 } });
    } else if (r < 0.94) {
      cmds.push({ type: 'leaseRevoke', request: { id: pick([1, 2, 3]) } });
    } else {
      cmds.push({ type: 'compact', request: { revision: Math.floor(rand() * revisionGuess) } });
    }
  }
  return cmds;
}

describe('MvccStore determinism', () => {
  it('two stores fed the same commands end in identical state', async () => {
    const a = await Harness.create({ compactionStep: 7 });
    const c = await Harness.create();
    try {
      const cmds = randomCommands(42, 600);
      // Store A applies one entry at a time, store C in batches of encoded entries.
      const statusesA: string[] = [];
      for (const cmd of cmds) {
        const o = await a.apply(cmd);
        statusesA.push(o.status === 'rejected' ? o.error.code : o.status);
      }
      const statusesC: string[] = [];
      for (let i = 0; i < cmds.length; i += 25) {
        const entries = cmds.slice(i, i + 25).map((cmd, j) => ({
          index: i + j + 1,
          command: encodeCommand(cmd),
        }));
        const outcomes = await c.store.applyBatch(entries);
        for (const o of outcomes) statusesC.push(o.status === 'rejected' ? o.error.code : o.status);
      }
      expect(statusesC).toEqual(statusesA);
      expect(statusesA.filter((s) => s === 'applied').length).toBeGreaterThan(300);
      expect(c.store.revision).toBe(a.store.revision);
      expect(c.store.compactRevision).toBe(a.store.compactRevision);
      expect(c.store.appliedIndex).toBe(a.store.appliedIndex);
      expect(c.store.leases()).toEqual(a.store.leases());
      for (let rev = a.store.compactRevision; rev <= a.store.revision; rev++) {
        expect(await dump(c.store, rev)).toEqual(await dump(a.store, rev));
      }
      await a.store.whenIdle();
      await c.store.whenIdle();
      const bytes = async (h: Harness) => {
        const out: Uint8Array[] = [];
        for await (const chunk of await h.store.createSnapshot()) out.push(chunk);
        return Buffer.concat(out);
      };
      expect((await bytes(c)).equals(await bytes(a))).toBe(true);
    } finally {
      await a.dispose();
      await c.dispose();
    }
  });
});
