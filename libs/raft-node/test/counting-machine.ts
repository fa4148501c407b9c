import { Entry } from '@flotilla/raft';
import { SnapshotImage, StateMachine } from '../src';

/**
 * The smallest state machine for driver tests: it counts the entries with a payload. Its state
 * lives in memory only, so persist() reports nothing durable and the log is never cut past it.
 */
export class CountingMachine implements StateMachine {
  private applied = 0;
  count = 0;

  appliedIndex(): number {
    return this.applied;
  }

  async apply(entries: readonly Entry[]): Promise<unknown[]> {
    return entries.map((e) => {
      this.applied = e.index;
      if (e.type === 'normal' && e.data.byteLength > 0) this.count++;
      return this.count;
    });
  }

  async snapshot(): Promise<SnapshotImage> {
    const image = Buffer.from(JSON.stringify({ applied: this.applied, count: this.count }));
    return {
      index: this.applied,
      chunks: (async function* () {
        yield image;
      })(),
      release: async () => undefined,
    };
  }

  async persist(): Promise<number> {
    return 0;
  }

  async restore(data: Uint8Array): Promise<void> {
    const state = JSON.parse(Buffer.from(data).toString()) as { applied: number; count: number };
    this.applied = state.applied;
    this.count = state.count;
  }
}
