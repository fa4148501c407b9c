import { Message, NodeId } from '@flotilla/raft';
import { Rng } from '../prng';

export interface NetworkFaults {
  /** Probability that a message is lost. */
  drop: number;
  /** Probability that a message is delivered twice. */
  duplicate: number;
  /** Messages take 1..maxDelay ticks; different delays reorder them. */
  maxDelay: number;
}

/**
 * The simulated network: every message gets a delivery tick; links can be cut one way
 * (asymmetric partitions) or both ways.
 */
export class Network {
  private readonly queue = new Map<number, Message[]>();
  private readonly cut = new Set<string>();
  delivered = 0;
  droppedCount = 0;
  duplicatedCount = 0;

  constructor(
    private readonly rng: Rng,
    public faults: NetworkFaults,
  ) {}

  send(now: number, m: Message): void {
    if (this.isCut(m.from, m.to) || this.rng.chance(this.faults.drop)) {
      this.droppedCount++;
      return;
    }
    this.enqueue(now, m);
    if (this.rng.chance(this.faults.duplicate)) {
      this.duplicatedCount++;
      this.enqueue(now, m);
    }
  }

  private enqueue(now: number, m: Message): void {
    const at = now + 1 + this.rng.int(Math.max(1, this.faults.maxDelay));
    const bucket = this.queue.get(at);
    if (bucket) bucket.push(m);
    else this.queue.set(at, [m]);
  }

  /** Messages due at `now`, minus those whose link was cut while they were in flight. */
  due(now: number): Message[] {
    const bucket = this.queue.get(now);
    if (!bucket) return [];
    this.queue.delete(now);
    const out = bucket.filter((m) => !this.isCut(m.from, m.to));
    this.droppedCount += bucket.length - out.length;
    this.delivered += out.length;
    return out;
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  healLink(from: NodeId, to: NodeId): void {
    this.cut.delete(`${from}>${to}`);
  }

  healAll(): void {
    this.cut.clear();
  }

  cutLinks(): string[] {
    return [...this.cut].sort();
  }
}
