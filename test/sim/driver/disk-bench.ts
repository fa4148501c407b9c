import { strongReferences } from '@flotilla/io';
import { createRng } from '../prng';
import { EventQueue } from './event-queue';
import { MemberProcess, Scheduler, SimClock } from './sim-clock';
import { SimDisk } from './sim-disk';
import { DiskTiming, SimFs } from './sim-fs';

/** A member's disk and one process over it, with the world's event loop run by hand (tests). */
export class DiskBench implements Scheduler {
  readonly queue = new EventQueue();
  now = 0;
  readonly disk = new SimDisk('/m');
  constructor(readonly rng = createRng(7)) {}
  process = new MemberProcess('m#1', this);
  readonly timing: DiskTiming = { latency: () => 1, started: () => undefined };
  fs = new SimFs(this.disk, this.process, 'm', this.timing);

  /** What the storage code is given: this process's clock and file system. */
  get io() {
    return {
      fs: this.fs,
      clock: new SimClock(this, this.process, 0, () => 0),
      references: strongReferences,
    };
  }

  /** Runs events until `p` settles. */
  async settle<T>(p: Promise<T>): Promise<T> {
    let outcome: { value: T } | { error: unknown } | undefined;
    p.then(
      (value) => (outcome = { value }),
      (error: unknown) => (outcome = { error }),
    );
    for (let i = 0; i < 10_000 && outcome === undefined; i++) {
      await new Promise((r) => setImmediate(r));
      const ev = this.queue.pop();
      if (!ev) continue;
      this.now = ev.at;
      if (!ev.owner?.dead) ev.run();
    }
    if (outcome === undefined) throw new Error('never settled');
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  /** The process dies (`powerLoss`: and the disk loses what was not synced); a new one starts. */
  crashAndReboot(powerLoss = true): void {
    this.process.dead = true;
    if (powerLoss) this.disk.crash(this.rng);
    this.process = new MemberProcess('m#2', this);
    this.fs = new SimFs(this.disk, this.process, 'm', this.timing);
  }
}
