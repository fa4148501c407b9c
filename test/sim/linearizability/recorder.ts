import type { Operation } from './model';

interface Recorded<Input, Output> {
  client: string | number;
  input: Input;
  call: number;
  callTick: number;
  ret?: number;
  returnTick?: number;
  output?: Output;
  discarded: boolean;
}

/**
 * Records client operations as they happen, giving every call and return event the next number of
 * one global sequence, so the order of events is never ambiguous even when ticks are equal.
 *
 * An operation left open at the end is pending (it may or may not have taken effect). One that
 * failed in a way that guarantees it had no effect ("not leader", "proposal dropped") is
 * discarded and leaves the history.
 */
export class HistoryRecorder<Input, Output> {
  private readonly recorded: Recorded<Input, Output>[] = [];
  private sequence = 0;

  /** Records a call; returns the handle to complete or discard it with. */
  invoke(client: string | number, input: Input, tick: number): number {
    this.recorded.push({ client, input, call: this.sequence++, callTick: tick, discarded: false });
    return this.recorded.length - 1;
  }

  /** Records the return of a call with what the client observed. */
  complete(handle: number, output: Output, tick: number): void {
    const op = this.open(handle, 'complete');
    op.ret = this.sequence++;
    op.returnTick = tick;
    op.output = output;
  }

  /** A position in the event order now, for an event learned of later (see `bound`). */
  mark(): number {
    return this.sequence++;
  }

  /**
   * Ends a call whose result the client never saw, but which is known to have taken effect by
   * the event at `position` (from `mark`, taken then): it must be linearized before it, with
   * any output.
   */
  bound(handle: number, position: number, tick: number): void {
    const op = this.open(handle, 'bound');
    if (position <= op.call) throw new RangeError(`operation ${handle} bound before its call`);
    op.ret = position;
    op.returnTick = tick;
  }

  /** Drops a call that definitely did not take effect. */
  discard(handle: number): void {
    this.open(handle, 'discard').discarded = true;
  }

  /** Completed and pending operations, in call order. */
  operations(): Operation<Input, Output>[] {
    return this.recorded
      .filter((op) => !op.discarded)
      .map(({ discarded: _discarded, ...op }) => ({ ...op }));
  }

  private open(handle: number, action: string): Recorded<Input, Output> {
    const op = this.recorded[handle];
    if (op === undefined) throw new RangeError(`cannot ${action} unknown operation ${handle}`);
    if (op.ret !== undefined || op.discarded) {
      throw new Error(`cannot ${action} operation ${handle}: it has already ended`);
    }
    return op;
  }
}
