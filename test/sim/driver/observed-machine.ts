import type { Entry } from '@flotilla/raft';
import type { SnapshotImage, StateMachine } from '@flotilla/raft-node';

/**
 * Puts a state machine under watch: every batch the driver applies is shown to `check` (state
 * machine safety) and waits `beforeApply` (virtual time an apply takes, where a crash may be
 * aimed) before the real machine applies it.
 */
export class ObservedMachine implements StateMachine {
  constructor(
    private readonly inner: StateMachine,
    private readonly check: (entries: readonly Entry[]) => void,
    private readonly beforeApply: () => Promise<void>,
  ) {}

  appliedIndex(): number {
    return this.inner.appliedIndex();
  }

  async apply(entries: readonly Entry[]): Promise<unknown[]> {
    this.check(entries);
    await this.beforeApply();
    return this.inner.apply(entries);
  }

  snapshot(): Promise<SnapshotImage> {
    return this.inner.snapshot();
  }

  persist(): Promise<number> {
    return this.inner.persist();
  }

  restore(data: Uint8Array): Promise<void> {
    return this.inner.restore(data);
  }
}
