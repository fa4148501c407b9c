// etcdserverpb.Maintenance: Status, Alarm (never any), Defragment (nothing to do on LevelDB),
// Snapshot; Hash, HashKV and MoveLeader are not offered.
import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdBackend } from './backend';
import { rpcErrors } from './rpc-errors';
import { EtcdApiLogger, unary } from './rpc-handlers';
import { SnapshotStreamOptions, streamSnapshot } from './snapshot-stream';
import type { HeaderFor } from './wire-convert';

export class MaintenanceService {
  constructor(
    private readonly backend: EtcdBackend,
    private readonly header: HeaderFor,
    private readonly log: EtcdApiLogger,
    private readonly snapshotOptions: SnapshotStreamOptions,
  ) {}

  async status() {
    const s = await this.backend.status();
    return {
      header: this.header(),
      version: s.version,
      dbSize: s.dbSize,
      leader: s.leader.toString(),
      raftIndex: s.raftIndex,
      raftTerm: s.raftTerm,
      raftAppliedIndex: s.raftAppliedIndex,
      errors: s.errors,
      dbSizeInUse: s.dbSizeInUse,
      isLearner: s.isLearner,
    };
  }

  /** Flotilla raises no alarms (no space quota, no corruption check): every action lists none. */
  alarm() {
    return Promise.resolve({ header: this.header(), alarms: [] });
  }

  defragment() {
    this.log.info(
      'etcd-api: defragment requested; nothing to do, LevelDB reclaims space by its own compaction',
    );
    return Promise.resolve({ header: this.header() });
  }

  handlers(): UntypedServiceImplementation {
    const log = this.log;
    const unimplemented = (what: string) => () => Promise.reject(rpcErrors.unimplemented(what));
    return {
      Status: unary(log, 'Maintenance.Status', () => this.status()),
      Alarm: unary(log, 'Maintenance.Alarm', () => this.alarm()),
      Defragment: unary(log, 'Maintenance.Defragment', () => this.defragment()),
      Hash: unary(log, 'Maintenance.Hash', unimplemented('Hash')),
      HashKV: unary(log, 'Maintenance.HashKV', unimplemented('HashKV')),
      MoveLeader: unary(log, 'Maintenance.MoveLeader', unimplemented('MoveLeader')),
      Snapshot: (call: ServerWritableStream<object, object>) =>
        void streamSnapshot(call, this.backend, this.header, this.snapshotOptions, log),
    };
  }
}
