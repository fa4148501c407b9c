// The in-memory half of the store: key index, leases and counters. Rebuilt from disk on open.
import { LeaseTable } from './lease-table';
import { TreeIndex } from './tree-index';

export class StoreState {
  readonly index = new TreeIndex();
  readonly leases = new LeaseTable();
  /** Last Raft index applied. */
  appliedIndex = 0;
  revision = 0;
  compactRevision = 0;
}
