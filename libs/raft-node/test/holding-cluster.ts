import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Entry, Message } from '@flotilla/raft';
import { RaftNode, SnapshotImage, StateMachine } from '../src';
import { eventually } from './harness';

/** Remembers how far it applied; enough to tell whether a read would see a write. */
export class AppliedIndexMachine implements StateMachine {
  private applied = 0;

  appliedIndex(): number {
    return this.applied;
  }

  async apply(entries: readonly Entry[]): Promise<unknown[]> {
    return entries.map((e) => (this.applied = e.index));
  }

  async snapshot(): Promise<SnapshotImage> {
    const image = Buffer.from(String(this.applied));
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
    this.applied = Number(Buffer.from(data).toString());
  }
}

/**
 * Members joined by an in-memory network that can hold back chosen messages from one member to
 * another (a slow link) and let them through later, one by one.
 */
export class HoldingCluster {
  readonly nodes = new Map<string, RaftNode>();
  readonly machines = new Map<string, AppliedIndexMachine>();
  readonly held: Message[] = [];
  private holding: ((m: Message) => boolean) | undefined;
  private readonly root = mkdtempSync(join(tmpdir(), 'flotilla-read-order-'));

  constructor(readonly ids: string[]) {}

  async start(): Promise<void> {
    for (const id of this.ids) {
      const machine = new AppliedIndexMachine();
      const node = await RaftNode.open(
        { id, initialMembers: this.ids, dataDir: join(this.root, id), tickMs: 20 },
        machine,
      );
      this.nodes.set(id, node);
      this.machines.set(id, machine);
    }
    for (const node of this.nodes.values()) {
      node.start({
        send: (msgs: readonly Message[]) => {
          for (const m of msgs) {
            if (this.holding?.(m)) this.held.push(m);
            else this.deliver(m);
          }
        },
      });
    }
  }

  hold(filter: (m: Message) => boolean): void {
    this.holding = filter;
  }

  /** Delivers the held messages the filter picks, in order; the others stay held. */
  release(pick: (m: Message) => boolean = () => true): void {
    const kept = this.held.filter((m) => !pick(m));
    for (const m of this.held) if (pick(m)) this.deliver(m);
    this.held.splice(0, this.held.length, ...kept);
  }

  stopHolding(): void {
    this.holding = undefined;
    this.release();
  }

  node(id: string): RaftNode {
    return this.nodes.get(id)!;
  }

  async leader(): Promise<string> {
    return eventually(() => {
      for (const [id, n] of this.nodes) {
        if (!n.isLeader()) continue;
        if ([...this.nodes.values()].every((o) => o.leader() === id)) return id;
      }
      return undefined;
    });
  }

  async stop(): Promise<void> {
    this.holding = undefined;
    for (const n of this.nodes.values()) await n.stop(false);
    rmSync(this.root, { recursive: true, force: true });
  }

  private deliver(m: Message): void {
    setImmediate(() => this.nodes.get(m.to)?.step(m));
  }
}
