import { createRng } from '../prng';
import { DiskBench as Bench } from './disk-bench';
import { simOpenDb } from './sim-level';

describe('the simulated disk', () => {
  it('keeps what was synced and loses, keeps or tears what was not', async () => {
    let lost = 0;
    let torn = 0;
    let kept = 0;
    for (let round = 0; round < 40; round++) {
      const b = new Bench(createRng(round));
      const fh = await b.settle(b.fs.open('/m/f', 'w'));
      await b.settle(fh.write(Buffer.from('synced|'), 0));
      await b.settle(fh.sync());
      fh.writeSync(Buffer.from('unsynced-tail-bytes'), 0, 19, 7);
      b.crashAndReboot();
      const after = b.fs.readFileSync('/m/f').toString();
      expect(after.startsWith('synced|')).toBe(true);
      if (after === 'synced|') lost++;
      else if (after === 'synced|unsynced-tail-bytes') kept++;
      else {
        expect('synced|unsynced-tail-bytes'.startsWith(after)).toBe(true);
        torn++;
      }
    }
    expect(lost).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(0);
    expect(torn).toBeGreaterThan(0);
  });

  it('makes names durable with the next fsync of anything; a crash keeps a prefix of the later ones', async () => {
    const outcomes = new Set<string>();
    for (let round = 0; round < 30; round++) {
      const b = new Bench(createRng(round));
      await b.settle(b.fs.mkdir('/m/d', { recursive: true }));
      await b.settle(b.fs.writeFile('/m/d/a', 'A', { flush: true }));
      await b.settle(b.fs.rename('/m/d/a', '/m/d/b'));
      await b.settle(b.fs.syncDir('/m/d'));
      // Created, then the old name removed, and nothing synced since.
      await b.settle(b.fs.writeFile('/m/d/c', 'C'));
      await b.settle(b.fs.rm('/m/d/b'));
      b.crashAndReboot();
      const names = await b.settle(b.fs.readdir('/m/d'));
      outcomes.add(names.join(','));
      if (names.includes('b')) expect(b.fs.readFileSync('/m/d/b').toString()).toBe('A');
      await expect(b.settle(b.fs.readFile('/m/d/a'))).rejects.toMatchObject({ code: 'ENOENT' });
    }
    // In journal order: never "b removed" without "c created" before it.
    expect([...outcomes].sort()).toEqual(['b', 'b,c', 'c']);
  });

  it('a crashed process never touches the disk again', async () => {
    const b = new Bench();
    const old = b.fs;
    await b.settle(old.writeFile('/m/f', '', { flush: true }));
    const fh = await b.settle(old.open('/m/f', 'r+'));
    const pending = fh.write(Buffer.from('late'), 0);
    b.crashAndReboot();
    expect(() => fh.writeSync(Buffer.from('x'), 0, 1, 0)).toThrow(/crashed process/);
    // Its write never completes, and the file holds nothing of it.
    let settled = false;
    void pending.finally(() => (settled = true));
    await b.settle(b.fs.stat('/m/f'));
    expect(settled).toBe(false);
    expect(b.fs.readFileSync('/m/f').length).toBe(0);
  });

  it('a LevelDB database keeps its synced batches and a prefix of the rest', async () => {
    const b = new Bench();
    const db = await b.settle(simOpenDb(b.fs)('/m/db'));
    await b.settle(db.put(Buffer.from('a'), Buffer.from('1'), { sync: true } as object));
    for (let i = 0; i < 20; i++) await b.settle(db.put(Buffer.from(`k${i}`), Buffer.from('v')));
    b.crashAndReboot();
    const again = await b.settle(simOpenDb(b.fs)('/m/db'));
    expect((await b.settle(again.get(Buffer.from('a'))))?.toString()).toBe('1');
    const present = [];
    for (let i = 0; i < 20; i++)
      present.push((await b.settle(again.get(Buffer.from(`k${i}`)))) !== undefined);
    // A prefix: once one is missing, all later ones are.
    const firstMissing = present.indexOf(false);
    if (firstMissing >= 0) expect(present.slice(firstMissing).every((p) => !p)).toBe(true);
  });
});
