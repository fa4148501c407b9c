import { Etcd3 } from 'etcd3';

export interface Ack {
  key: string;
  value: string;
  /** When the attempt that was acknowledged was sent. */
  sentAt: number;
  ackedAt: number;
  via: string;
}

export interface WriteTarget {
  name: string;
  client: Etcd3;
}

const MAX_KEYS = 100_000;
const MAX_ATTEMPTS_PER_KEY = 500;
const PAUSE_WHEN_ALL_FAIL_MS = 50;

/**
 * Puts `<prefix>/<n>` = `v<n>` one after the other, each through the first target (round robin)
 * that acknowledges it, and records every acknowledgement with its time. A failed or timed-out
 * attempt is retried on the next target: the outcome of a timed-out put is unknown, so the same
 * key and value are written again, which is harmless.
 */
export class ContinuousWriter {
  readonly acks: Ack[] = [];
  failedAttempts = 0;
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly prefix: string,
    private readonly targets: readonly WriteTarget[],
  ) {}

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  acksSentAfter(time: number): Ack[] {
    return this.acks.filter((ack) => ack.sentAt > time);
  }

  /** Last acknowledgement received up to `time` and first one for a put sent after it. */
  gapAround(time: number): { lastBefore?: Ack; firstAfter?: Ack } {
    const before = this.acks.filter((ack) => ack.ackedAt <= time);
    return { lastBefore: before.at(-1), firstAfter: this.acksSentAfter(time)[0] };
  }

  private async run(): Promise<void> {
    for (let n = 0; n < MAX_KEYS && !this.stopped; n++) {
      const key = `${this.prefix}/${String(n).padStart(6, '0')}`;
      const value = `v${n}`;
      for (let attempt = 0; attempt < MAX_ATTEMPTS_PER_KEY && !this.stopped; attempt++) {
        const target = this.targets[(n + attempt) % this.targets.length];
        const sentAt = Date.now();
        try {
          await target.client.put(key).value(value).exec();
          this.acks.push({ key, value, sentAt, ackedAt: Date.now(), via: target.name });
          break;
        } catch {
          this.failedAttempts++;
          if ((attempt + 1) % this.targets.length === 0) await sleep(PAUSE_WHEN_ALL_FAIL_MS);
        }
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
