// From desired states to one nft transaction. A full sync rewrites the whole table (and repairs
// whatever drifted); an incremental sync sends only what changed since the last applied state.
// Chains that fall out of use are flushed at once and deleted in a later sync: before Linux 6.2
// the kernel notices only a moment later that a chain is no longer referenced by a map element
// deleted in the same transaction.
import { isAffinitySetName, isServiceChainName } from './chain-names';
import type { DesiredState } from './desired-state';
import { NftScript } from './nft-script';
import {
  ElementSpec,
  SetSpec,
  ServicePortRules,
  TABLE,
  elementId,
  isSharedElement,
} from './ruleset';

/** What the kernel holds in our table, from a listing before a full sync. */
export interface KernelTableListing {
  chains: string[];
  /** Set name → timeout in seconds (affinity sets have one). */
  sets: Map<string, number | undefined>;
}

export interface SyncScript {
  text: string;
  /** Chains this transaction flushed because nothing uses them any more. */
  newlyStale: string[];
  /** Stale chains this transaction deletes. */
  deleted: string[];
  /** Stale chains it uses again. */
  revived: string[];
}

export interface FullSyncInput {
  next: DesiredState;
  /** Undefined when the table could not be listed: then no stale object is cleaned up. */
  existing: KernelTableListing | undefined;
  /** Re-create the hooked chains, so that a changed priority cannot make the transaction fail. */
  recreateBaseChains: boolean;
}

export function fullSyncScript({ next, existing, recreateBaseChains }: FullSyncInput): SyncScript {
  const base = next.base;
  const script = new NftScript(base.family, TABLE);
  script.addTable('rules for kube-proxy');
  if (recreateBaseChains) {
    for (const chain of base.chains.filter((c) => c.hook)) {
      script.addChain({ name: chain.name });
      script.deleteChain(chain.name);
    }
  }
  for (const chain of base.chains) {
    script.addChain(chain);
    script.flushChain(chain.name);
  }
  for (const set of base.sets) {
    script.addSet(set);
    script.flushSet(set);
  }
  for (const chain of base.chains) script.addRules(chain.name, chain.rules);
  script.addElements(base.elements);

  const wanted = new Set<string>();
  const services = [...next.services.values()];
  for (const sp of services) {
    for (const name of sp.chains.keys()) {
      wanted.add(name);
      script.addChain({ name });
      script.flushChain(name);
    }
  }
  const newlyStale: string[] = [];
  for (const name of existing?.chains ?? []) {
    if (isServiceChainName(name) && !wanted.has(name)) {
      script.flushChain(name);
      newlyStale.push(name);
    }
  }

  const wantedSets = new Map<string, number>();
  for (const sp of services)
    for (const [name, timeout] of sp.affinitySets) wantedSets.set(name, timeout);
  for (const [name, timeout] of existing?.sets ?? []) {
    if (!isAffinitySetName(name)) continue;
    // A set's timeout cannot change in place: drop it and make it again (its entries go too).
    if (!wantedSets.has(name) || wantedSets.get(name) !== timeout) script.deleteSet(name);
  }
  for (const [name, timeout] of wantedSets) script.addSet(affinitySet(name, timeout, base.family));

  for (const sp of services) for (const [name, rules] of sp.chains) script.addRules(name, rules);
  const elements: ElementSpec[] = [];
  const sharedSeen = new Set<string>();
  for (const sp of services) {
    for (const el of sp.elements) {
      if (isSharedElement(el)) {
        const id = elementId(el);
        if (sharedSeen.has(id)) continue;
        sharedSeen.add(id);
      }
      elements.push(el);
    }
  }
  script.addElements(elements);
  return { text: script.text(), newlyStale, deleted: [], revived: [] };
}

export interface IncrementalSyncInput {
  prev: DesiredState;
  next: DesiredState;
  /** Chains flushed by earlier syncs and not deleted yet. */
  stale: ReadonlySet<string>;
  /** Those of them that have been stale long enough to delete now. */
  deletable: ReadonlySet<string>;
  /** The Service ports that may differ (from the planner); absent: compare them all. */
  changed?: Iterable<string>;
}

/** Requires equal bases (a changed base needs a full sync). Empty text: nothing to do. */
export function incrementalSyncScript({
  prev,
  next,
  stale,
  deletable,
  changed,
}: IncrementalSyncInput): SyncScript {
  const script = new NftScript(next.base.family, TABLE);
  const addChains: string[] = [];
  const flushChains: string[] = [];
  const newlyStale: string[] = [];
  const revived: string[] = [];
  const rewrite: [string, string[]][] = [];
  const deleteSets: string[] = [];
  const addSets: [string, number][] = [];
  const removedEls = new Map<string, ElementSpec>();
  const addedEls = new Map<string, ElementSpec>();

  const keys = changed ?? new Set([...prev.services.keys(), ...next.services.keys()]);
  for (const key of keys) {
    const old = prev.services.get(key);
    const neu = next.services.get(key);
    if (old === neu) continue;
    const oldChains = old?.chains ?? new Map<string, string[]>();
    const newChains = neu?.chains ?? new Map<string, string[]>();
    const oldSets = old?.affinitySets ?? new Map<string, number>();
    const newSets = neu?.affinitySets ?? new Map<string, number>();

    // A set that must be re-created is still used by the rules that name it: rewrite them all.
    let rewriteAll = false;
    for (const [name, timeout] of newSets) {
      const before = oldSets.get(name);
      if (before === undefined) addSets.push([name, timeout]);
      else if (before !== timeout) {
        deleteSets.push(name);
        addSets.push([name, timeout]);
        rewriteAll = true;
      }
    }
    for (const name of oldSets.keys()) if (!newSets.has(name)) deleteSets.push(name);

    for (const [name, rules] of newChains) {
      const before = oldChains.get(name);
      if (before === undefined) {
        addChains.push(name);
        if (stale.has(name)) {
          flushChains.push(name);
          revived.push(name);
        }
        rewrite.push([name, rules]);
      } else if (rewriteAll || !sameRules(before, rules)) {
        flushChains.push(name);
        rewrite.push([name, rules]);
      }
    }
    for (const name of oldChains.keys()) {
      if (!newChains.has(name)) {
        flushChains.push(name);
        newlyStale.push(name);
      }
    }

    for (const el of old?.elements ?? [])
      if (!isSharedElement(el)) removedEls.set(elementId(el), el);
    for (const el of neu?.elements ?? []) if (!isSharedElement(el)) addedEls.set(elementId(el), el);
    for (const el of [...(old?.elements ?? []), ...(neu?.elements ?? [])]) {
      if (!isSharedElement(el)) continue;
      const id = elementId(el);
      const was = (prev.sharedRefs.get(id) ?? 0) > 0;
      const is = (next.sharedRefs.get(id) ?? 0) > 0;
      if (was && !is) removedEls.set(id, el);
      if (is && !was) addedEls.set(id, el);
    }
  }
  for (const [id, el] of removedEls) {
    const replacement = addedEls.get(id);
    if (replacement && sameElement(el, replacement)) {
      removedEls.delete(id);
      addedEls.delete(id);
    }
  }

  for (const name of addChains) script.addChain({ name });
  for (const name of flushChains) script.flushChain(name);
  script.deleteElements([...removedEls.values()]);
  for (const name of deleteSets) script.deleteSet(name);
  for (const [name, timeout] of addSets)
    script.addSet(affinitySet(name, timeout, next.base.family));
  for (const [name, rules] of rewrite) script.addRules(name, rules);
  script.addElements([...addedEls.values()]);
  const deleted = [...deletable].filter(
    (name) => !revived.includes(name) && !addChains.includes(name),
  );
  for (const name of deleted) script.deleteChain(name);
  return { text: script.text(), newlyStale, deleted, revived };
}

export function affinitySet(name: string, timeoutSeconds: number, family: 'ip' | 'ip6'): SetSpec {
  return {
    name,
    map: false,
    type: family === 'ip' ? 'ipv4_addr' : 'ipv6_addr',
    // "dynamic": the kernel adds it to a set a rule updates anyway, and a later "add set"
    // without it would then look like a change of flags.
    flags: ['dynamic', 'timeout'],
    timeoutSeconds,
  };
}

function sameRules(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((rule, i) => rule === b[i]);
}

function sameElement(a: ElementSpec, b: ElementSpec): boolean {
  return a.value === b.value && a.comment === b.comment;
}

/** Numbers for the bench and the log: how big the desired table is. */
export function countObjects(state: DesiredState): {
  chains: number;
  rules: number;
  elements: number;
  sets: number;
} {
  let chains = state.base.chains.length;
  let rules = state.base.chains.reduce((n, c) => n + c.rules.length, 0);
  let elements = state.base.elements.length + state.sharedRefs.size;
  let sets = state.base.sets.length;
  for (const sp of state.services.values()) {
    chains += sp.chains.size;
    for (const r of sp.chains.values()) rules += r.length;
    elements += sp.elements.filter((el) => !isSharedElement(el)).length;
    sets += sp.affinitySets.size;
  }
  return { chains, rules, elements, sets };
}

export type { ServicePortRules };
