import { NodeId } from './types';

export interface PendingRead {
  context: string;
  index: number;
  /** Who asked: the leader itself, or the follower the answer goes back to. */
  from: NodeId;
  acks: Set<NodeId>;
}

/**
 * ReadIndex requests waiting for a heartbeat round to confirm that this node is still the
 * leader. Requests are answered in arrival order; an ack for a later request confirms every
 * earlier one too, since leadership confirmed later was also held earlier.
 */
export class ReadOnlyQueue {
  private readonly pending = new Map<string, PendingRead>();
  private queue: string[] = [];

  add(context: string, index: number, from: NodeId): void {
    if (this.pending.has(context)) return;
    this.pending.set(context, { context, index, from, acks: new Set() });
    this.queue.push(context);
  }

  /** Records that `from` acknowledged the heartbeat carrying `context`; the acks so far. */
  recvAck(from: NodeId, context: string): Set<NodeId> | undefined {
    const read = this.pending.get(context);
    if (!read) return undefined;
    read.acks.add(from);
    return read.acks;
  }

  /** Removes and returns every request up to and including `context`. */
  advance(context: string): PendingRead[] {
    const at = this.queue.indexOf(context);
    if (at < 0) return [];
    const done = this.queue.slice(0, at + 1).map((c) => this.pending.get(c)!);
    this.queue = this.queue.slice(at + 1);
    for (const r of done) this.pending.delete(r.context);
    return done;
  }

  lastContext(): string | undefined {
    return this.queue[this.queue.length - 1];
  }

  /** Drops everything (leadership lost); returns what was dropped. */
  clear(): PendingRead[] {
    const all = this.queue.map((c) => this.pending.get(c)!);
    this.pending.clear();
    this.queue = [];
    return all;
  }
}
