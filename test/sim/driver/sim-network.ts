import { Packr } from 'msgpackr';
import type { Message, NodeId } from '@flotilla/raft';
import { Rng } from '../prng';

export interface NetworkFaults {
  /** Probability that a message is lost. */
  drop: number;
  /** Probability that a message is delivered twice. */
  duplicate: number;
  /** Delivery takes minDelayMs..maxDelayMs (uniform); different delays reorder messages. */
  minDelayMs: number;
  maxDelayMs: number;
}

const packr = new Packr({ useRecords: false });

/**
 * The network between members. Each message is copied as the transport's msgpack frames copy
 * it (the receiver never shares the sender's objects), then dropped, duplicated or delayed by
 * the seed's faults; links can be cut one way or both ways. Cuts apply at sending and again at
 * delivery (a message in flight when its link is cut is lost).
 */
export class SimNetwork {
  private readonly cut = new Set<string>();
  stats = { sent: 0, dropped: 0, duplicated: 0, delivered: 0 };

  constructor(
    private readonly rng: Rng,
    public faults: NetworkFaults,
  ) {}

  /**
   * Plans the deliveries of one message: zero (lost), one or two copies, each with its delay.
   * `deliver` is called back later by the world for each, through `schedule`.
   */
  send(m: Message, schedule: (delayMs: number, copy: Message) => void): void {
    this.stats.sent++;
    if (this.isCut(m.from, m.to) || this.rng.chance(this.faults.drop)) {
      this.stats.dropped++;
      return;
    }
    const frame = Buffer.from(packr.pack(m));
    const copies = this.rng.chance(this.faults.duplicate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) schedule(this.delay(), packr.unpack(frame) as Message);
  }

  /** Whether a message still arrives (its link may have been cut while it was in flight). */
  arrives(m: Message): boolean {
    if (this.isCut(m.from, m.to)) {
      this.stats.dropped++;
      return false;
    }
    this.stats.delivered++;
    return true;
  }

  delay(): number {
    const { minDelayMs, maxDelayMs } = this.faults;
    return minDelayMs + this.rng.float() * (maxDelayMs - minDelayMs);
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
