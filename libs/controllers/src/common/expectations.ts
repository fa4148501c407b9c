// What a controller is still waiting to see after writing: how many creations, and which
// deletions, it has asked for and not yet observed through its informer (kube's
// UIDTrackingControllerExpectations). While they are outstanding the controller does not act on
// its cache again, which is what keeps a ReplicaSet from creating twice when its watch is slow.
// They expire after five minutes, in case an observation was lost for good.
import type { Clock } from '@flotilla/client';

export const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

interface Expectation {
  adds: number;
  /** Keys of the pods this controller deleted and has not yet seen go. */
  deletes: Set<string>;
  since: number;
}

export class Expectations {
  private readonly byKey = new Map<string, Expectation>();

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs = EXPECTATIONS_TIMEOUT_MS,
  ) {}

  /** True when nothing is outstanding for `key` (or never was, or it expired). */
  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    if (e.adds <= 0 && e.deletes.size === 0) return true;
    return this.clock.now() - e.since > this.timeoutMs;
  }

  expectCreations(key: string, n: number): void {
    this.byKey.set(key, { adds: n, deletes: new Set(), since: this.clock.now() });
  }

  expectDeletions(key: string, podKeys: readonly string[]): void {
    this.byKey.set(key, { adds: 0, deletes: new Set(podKeys), since: this.clock.now() });
  }

  /** Creations and deletions asked for in one go (the DaemonSet controller does both at once). */
  expect(key: string, adds: number, deleteKeys: readonly string[]): void {
    this.byKey.set(key, { adds, deletes: new Set(deleteKeys), since: this.clock.now() });
  }

  creationObserved(key: string): void {
    const e = this.byKey.get(key);
    if (e) e.adds--;
  }

  /** A pod's deletion was seen (or its delete failed): it no longer counts. */
  deletionObserved(key: string, podKey: string): void {
    this.byKey.get(key)?.deletes.delete(podKey);
  }

  /** Outstanding creations and deletions, for logs and tests. */
  pending(key: string): { adds: number; deletes: number } {
    const e = this.byKey.get(key);
    return { adds: Math.max(0, e?.adds ?? 0), deletes: e?.deletes.size ?? 0 };
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }
}
