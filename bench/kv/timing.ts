// Raft timing shared by both systems, so failover windows compare like with like.
export const TIMING = { heartbeatMs: 100, electionMs: 1000 } as const;
