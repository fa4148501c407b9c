import { join } from 'node:path';
import type { FileSystem } from '@flotilla/io';
import type { Entry } from '@flotilla/raft';
import type { SnapshotImage, StateMachine } from '@flotilla/raft-node';
import { KvStateMachine, decodeCommand } from '../kv-state-machine';

const STATE = 'state';

/**
 * The model state machine under the real driver: the simulation's small KV with compare-and-
 * swap (KvStateMachine), made durable on the member's disk by persist() as an application
 * would (write aside, fsync, rename, fsync the directory), so the log can be compacted
 * against it.
 */
export class ModelMachine implements StateMachine {
  private constructor(
    private kv: KvStateMachine,
    private readonly fs: FileSystem,
    private readonly dir: string,
  ) {}

  static async open(fs: FileSystem, dir: string): Promise<ModelMachine> {
    await fs.mkdir(dir, { recursive: true });
    let kv = new KvStateMachine();
    try {
      kv = KvStateMachine.restore(await fs.readFile(join(dir, STATE)));
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') throw e;
    }
    return new ModelMachine(kv, fs, dir);
  }

  appliedIndex(): number {
    return this.kv.appliedIndex;
  }

  /** The whole state, to compare members by. */
  snapshotState(): Uint8Array {
    return this.kv.snapshot();
  }

  read(key: string): string | undefined {
    return this.kv.read(key);
  }

  async apply(entries: readonly Entry[]): Promise<unknown[]> {
    return entries.map((e) => {
      if (e.index <= this.kv.appliedIndex) return undefined;
      return this.kv.apply(e.index, e.type === 'normal' ? decodeCommand(e.data) : undefined);
    });
  }

  async snapshot(): Promise<SnapshotImage> {
    const image = this.kv.snapshot();
    const index = this.kv.appliedIndex;
    return {
      index,
      chunks: (async function* () {
        // In a few chunks, as a large state would come.
        const step = Math.max(1, Math.ceil(image.length / 3));
        for (let at = 0; at < image.length; at += step) yield image.subarray(at, at + step);
      })(),
      release: async () => undefined,
    };
  }

  async persist(): Promise<number> {
    const image = this.kv.snapshot();
    const index = this.kv.appliedIndex;
    const tmp = join(this.dir, `${STATE}.tmp`);
    const fh = await this.fs.open(tmp, 'w');
    try {
      await fh.write(image);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.fs.rename(tmp, join(this.dir, STATE));
    await this.fs.syncDir(this.dir);
    return index;
  }

  async restore(data: Uint8Array): Promise<void> {
    this.kv = KvStateMachine.restore(data);
  }
}
