import { Entry } from '@flotilla/raft';
import { LogStore } from '@flotilla/raft-node';
import { createRng } from '../prng';
import { DiskBench } from './disk-bench';

const conf = { voters: ['m'], learners: [] };

function entry(index: number, term = 1): Entry {
  return { index, term, type: 'normal', data: Buffer.from(`entry ${index}`) };
}

/** The real LogStore on the simulated disk: what it replays, it must be able to keep. */
describe('LogStore on a disk that loses what was not synced', () => {
  it('a record replayed after kill -9 (written, never synced) survives a later power loss', async () => {
    for (let seed = 0; seed < 30; seed++) {
      const b = new DiskBench(createRng(seed));
      const log = await b.settle(LogStore.open('/m/raft', { io: b.io, segmentBytes: 4096 }));
      log.load(conf);
      await b.settle(log.persist([entry(1), entry(2)], { term: 1, vote: 'm', commit: 2 }));
      // The next record is written, and the process is killed while its fsync is under way:
      // the page cache keeps it (no power loss).
      void log.persist([entry(3)], { term: 2, vote: 'm', commit: 2 });
      b.crashAndReboot(false);
      const again = await b.settle(LogStore.open('/m/raft', { io: b.io, segmentBytes: 4096 }));
      const replayed = again.load(conf).storage;
      // Replayed: from here on the member relies on it (its term 2, its entry 3).
      expect(replayed.lastIndex()).toBe(3);
      expect(replayed.hardState().term).toBe(2);
      // Then the power goes.
      b.crashAndReboot(true);
      const after = await b.settle(LogStore.open('/m/raft', { io: b.io, segmentBytes: 4096 }));
      const kept = after.load(conf).storage;
      expect({ seed, last: kept.lastIndex(), term: kept.hardState().term }).toEqual({
        seed,
        last: 3,
        term: 2,
      });
    }
  });
});
