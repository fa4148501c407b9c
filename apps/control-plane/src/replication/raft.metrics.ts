import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PeerTransport, RaftNode, RaftNodeOptions } from '@flotilla/raft-node';
import type { MvccStore } from '@flotilla/store';
import type { ReadBarrierObserver } from './read-barrier';

/**
 * Raft and store metrics in the style of etcd's own names. Gauges read the live objects at
 * scrape time; histograms are fed by the driver's hooks.
 */
export class RaftMetrics {
  private node: RaftNode | undefined;
  private transport: PeerTransport | undefined;
  private store: MvccStore | undefined;
  private readonly proposalDuration: Histogram;
  private readonly fsyncDuration: Histogram;
  private readonly proposalsFailed: Counter;
  private readonly snapshotsSent: Counter;
  private readonly snapshotsReceived: Counter;
  private readonly readBarrierDuration: Histogram;
  private readonly readIndexesFailed: Counter;

  constructor(registry: Registry) {
    const r = [registry];
    const storeSize = async () => (this.store ? this.store.approximateSize() : 0);
    gauge(
      r,
      'flotilla_raft_term',
      'The current Raft term of this member.',
      () => this.node?.term() ?? 0,
    );
    gauge(r, 'flotilla_raft_is_leader', '1 if this member is the Raft leader, else 0.', () =>
      this.node?.isLeader() ? 1 : 0,
    );
    gauge(r, 'flotilla_raft_has_leader', '1 if this member knows a leader, else 0.', () =>
      this.node?.leader() ? 1 : 0,
    );
    counterOf(
      r,
      'flotilla_raft_leader_changes_total',
      'Leader changes seen by this member.',
      () => this.node?.leaderChanges ?? 0,
    );
    gauge(
      r,
      'flotilla_raft_commit_index',
      'The Raft commit index of this member.',
      () => this.node?.status().commit ?? 0,
    );
    gauge(
      r,
      'flotilla_raft_applied_index',
      'The index this member has applied.',
      () => this.node?.status().applied ?? 0,
    );
    counterOf(
      r,
      'flotilla_raft_proposals_committed_total',
      'Proposals made on this member that were committed and applied.',
      () => this.node?.proposalsCommitted ?? 0,
    );
    this.proposalsFailed = new Counter({
      name: 'flotilla_raft_proposals_failed_total',
      help: 'Proposals made on this member that failed or timed out.',
      registers: r,
    });
    gauge(
      r,
      'flotilla_raft_proposals_pending',
      'Proposals waiting for their outcome on this member.',
      () => this.node?.status().pendingProposals ?? 0,
    );
    this.proposalDuration = new Histogram({
      name: 'flotilla_raft_proposal_duration_seconds',
      help: 'From proposal to applied on this member.',
      registers: r,
      buckets: [
        0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1, 2, 4,
      ],
    });
    this.fsyncDuration = new Histogram({
      name: 'flotilla_disk_wal_fsync_duration_seconds',
      help: 'Durations of the synchronous Raft log writes.',
      registers: r,
      buckets: [
        0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256,
        0.512, 1,
      ],
    });
    this.snapshotsSent = new Counter({
      name: 'flotilla_raft_snapshots_sent_total',
      help: 'Snapshots this member started sending to followers.',
      registers: r,
    });
    this.snapshotsReceived = new Counter({
      name: 'flotilla_raft_snapshots_received_total',
      help: 'Snapshots this member installed from a leader.',
      registers: r,
    });
    // Linearizable reads: etcd's own names where etcd has the metric.
    this.readBarrierDuration = new Histogram({
      name: 'flotilla_server_read_barrier_duration_seconds',
      help: 'How long linearizable reads on this member waited for their read barrier.',
      registers: r,
      buckets: [
        0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1, 2, 4, 8,
      ],
    });
    this.readIndexesFailed = new Counter({
      name: 'etcd_server_read_indexes_failed_total',
      help: 'Linearizable reads on this member whose read barrier failed or timed out.',
      registers: r,
    });
    counterOf(
      r,
      'etcd_server_slow_read_indexes_total',
      'ReadIndex requests on this member asked again because no answer came in time.',
      () => this.node?.readRetries ?? 0,
    );
    counterOf(
      r,
      'flotilla_network_peer_send_failures_total',
      'Raft messages dropped because a peer was unreachable or backed up.',
      () => this.transport?.stats.dropped ?? 0,
    );
    gauge(
      r,
      'flotilla_mvcc_watchers',
      'Watchers open on this member.',
      () => this.store?.watcherCount ?? 0,
    );
    gauge(
      r,
      'flotilla_mvcc_revision',
      'The current store revision on this member.',
      () => this.store?.revision ?? 0,
    );
    new Gauge({
      name: 'flotilla_mvcc_db_total_size_in_bytes',
      help: 'Bytes the store takes on disk on this member.',
      registers: r,
      async collect() {
        this.set(await storeSize());
      },
    });
  }

  bind(node: RaftNode, transport: PeerTransport, store: MvccStore): void {
    this.node = node;
    this.transport = transport;
    this.store = store;
  }

  readBarrierObserver(): ReadBarrierObserver {
    return {
      served: (s) => this.readBarrierDuration.observe(s),
      failed: () => this.readIndexesFailed.inc(),
    };
  }

  hooks(): RaftNodeOptions['hooks'] {
    return {
      fsync: (s) => this.fsyncDuration.observe(s),
      proposalCommitted: (s) => this.proposalDuration.observe(s),
      proposalFailed: () => this.proposalsFailed.inc(),
      snapshotSent: () => this.snapshotsSent.inc(),
      snapshotReceived: () => this.snapshotsReceived.inc(),
    };
  }
}

/** A gauge read from live state at scrape time. */
function gauge(registers: Registry[], name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers,
    collect() {
      this.set(read());
    },
  });
}

/** A counter whose total is kept elsewhere (a monotonic field), read at scrape time. */
function counterOf(registers: Registry[], name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
