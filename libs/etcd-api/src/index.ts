// @flotilla/etcd-api: the etcd v3 gRPC API over an EtcdBackend (Raft + MVCC store in a master).
export * from './backend';
export { EtcdGrpcServer, DEFAULT_MAX_REQUEST_BYTES } from './etcd-grpc-server';
export type { EtcdGrpcServerOptions } from './etcd-grpc-server';
export type { GrpcTlsOptions } from './grpc/grpc-server';
export { RpcError, toRpcError } from './rpc-errors';
export type { EtcdApiLogger } from './rpc-handlers';
export { loadEtcdServices } from './proto/load-etcd-services';
export { readSnapshotFile, SNAPSHOT_MAGIC } from './snapshot-file';
export type { CallMethod, GrpcCallObserver } from './grpc/grpc-call';
