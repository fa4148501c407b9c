// @flotilla/replicated-store: the MVCC store replicated by Raft, as the etcd API and the API
// server use it; the glue between the generic driver (libs/raft-node) and the store (libs/store).
export { StoreMachine, splitChunks } from './store-machine';
export { ReplicatedStore } from './replicated-store';
export { LeaseKeeper, LEASE_KEEPALIVE, LEASE_TTL } from './lease-keeper';
export type { LeaderCall } from './lease-keeper';
export type { LeaseIds } from './replicated-store';
