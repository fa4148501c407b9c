// Rebuilds the in-memory state from disk on open: one sequential scan of the revision keyspace
// (in revision order, so each key's history replays in order), then the lease table.
import { unpack } from 'msgpackr';
import { Db } from './db';
import {
  LEASE_SPACE_END,
  LEASE_SPACE_START,
  META_PHYSICAL_COMPACT,
  META_STATE,
  REV_SPACE_END,
  REV_SPACE_START,
  decodeMeta,
  decodeRecord,
  indexKey,
  parseLeaseKey,
  parseRevisionKey,
} from './layout';
import { StoreState } from './store-state';

const SCAN_BATCH = 1024;

export interface Rebuilt {
  state: StoreState;
  /** Compact revision whose physical cleanup finished (below state.compactRevision = unfinished). */
  physicalCompactRevision: number;
}

export async function rebuildState(db: Db): Promise<Rebuilt> {
  const state = new StoreState();
  const metaBytes = await db.get(META_STATE);
  if (metaBytes !== undefined) {
    const meta = decodeMeta(metaBytes);
    state.appliedIndex = meta.appliedIndex;
    state.revision = meta.revision;
    state.compactRevision = meta.compactRevision;
  }
  const physicalBytes = await db.get(META_PHYSICAL_COMPACT);
  const physicalCompactRevision =
    physicalBytes === undefined ? 0 : (unpack(physicalBytes) as number);

  const leaseIt = db.iterator({ gte: LEASE_SPACE_START, lt: LEASE_SPACE_END });
  try {
    for (;;) {
      const entries = await leaseIt.nextv(SCAN_BATCH);
      if (entries.length === 0) break;
      for (const [k, v] of entries) {
        const [ttl, remainingTtl] = unpack(v) as [number, number?];
        state.leases.grant(parseLeaseKey(k), ttl, remainingTtl);
      }
    }
  } finally {
    await leaseIt.close();
  }

  const revIt = db.iterator({ gte: REV_SPACE_START, lt: REV_SPACE_END });
  try {
    for (;;) {
      const entries = await revIt.nextv(SCAN_BATCH);
      if (entries.length === 0) break;
      for (const [k, v] of entries) {
        const rev = parseRevisionKey(k);
        const record = decodeRecord(v);
        const ik = indexKey(record.key);
        const ki = state.index.getOrCreate(ik);
        state.leases.detach(ki.lease, ik);
        if (record.tombstone) state.index.tombstone(ki, rev);
        else {
          state.index.put(ki, rev, record.createRevision, record.version, record.lease);
          state.leases.attach(record.lease, ik);
        }
      }
    }
  } finally {
    await revIt.close();
  }
  return { state, physicalCompactRevision };
}
