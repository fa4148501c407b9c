import type { NodeId } from '@flotilla/raft';
import type { RaftNode } from '@flotilla/raft-node';
import type { LeaseKeeper, ReplicatedStore } from '@flotilla/replicated-store';
import type { MvccStore } from '@flotilla/store';
import { ModelMachine } from './model-machine';
import { SimDisk } from './sim-disk';
import { MemberProcess } from './sim-clock';
import { SimFs } from './sim-fs';

/** A crash aimed at one kind of work of a member, fired while such work is under way. */
export type CrashTarget =
  'wal-fsync' | 'segment-files' | 'snapshot-files' | 'store-write' | 'model-persist' | 'apply';

export const CRASH_TARGETS: readonly CrashTarget[] = [
  'wal-fsync',
  'segment-files',
  'snapshot-files',
  'store-write',
  'model-persist',
  'apply',
];

/**
 * One master of the simulated cluster: its disk, which outlives its crashes, and while it runs
 * the incarnation (process) and what that incarnation opened: the real RaftNode over the real
 * LogStore, and either the model state machine or the real MVCC store with its glue.
 */
export class SimMember {
  readonly disk: SimDisk;
  process: MemberProcess | undefined;
  fs: SimFs | undefined;
  node: RaftNode | undefined;
  model: ModelMachine | undefined;
  store: MvccStore | undefined;
  replicated: ReplicatedStore | undefined;
  leases: LeaseKeeper | undefined;
  /** Serving: booted and connected. */
  up = false;
  incarnation = 0;
  lastRole = '';
  /** Its disk is slow until then. */
  slowUntil = 0;
  /** A crash waits for this kind of work to start. */
  crashOn: CrashTarget | undefined;
  /** The highest term in any message it sent (outside pre-votes): its disk must hold it. */
  maxSentTerm = 0;
  /** Read rounds asked again, summed over its incarnations. */
  readRetries = 0;

  constructor(
    readonly id: NodeId,
    /** How far its wall clock is off the world's. */
    readonly skewMs: number,
  ) {
    this.disk = new SimDisk(`/${id}`);
  }

  get alive(): boolean {
    return this.process !== undefined && !this.process.dead;
  }

  get paused(): boolean {
    return this.process?.paused ?? false;
  }

  get dataDir(): string {
    return this.disk.root;
  }
}
