/** Injection tokens of a master's replicated core (explicit: the app also runs under tsx). */
export const MVCC_STORE = Symbol('MVCC_STORE');
export const RAFT_NODE = Symbol('RAFT_NODE');
export const PEER_TRANSPORT = Symbol('PEER_TRANSPORT');
export const PEER_SERVER = Symbol('PEER_SERVER');
export const LEASE_KEEPER = Symbol('LEASE_KEEPER');
export const REPLICATED_STORE = Symbol('REPLICATED_STORE');
export const MEMBER_DIRECTORY = Symbol('MEMBER_DIRECTORY');
