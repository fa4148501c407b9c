// Inter-pod affinity terms and topology spread selectors, compiled once per pod: the namespaces a
// term covers (its own list, a namespace selector, or the pod's namespace when it names neither),
// its label selector (matchLabelKeys / mismatchLabelKeys merged in from the pod's labels, as the
// API server does since Kubernetes 1.31), and its topology key.
import {
  labelSelectorFromObject,
  matchesLabels,
  type LabelRequirement,
  type LabelSelector,
} from '@flotilla/api';
import type { LabelSelectorObject, Pod, PodAffinityTerm, WeightedPodAffinityTerm } from './types';

const NOTHING: LabelSelector = Object.freeze({ requirements: [], nothing: true });

export class AffinityTerm {
  constructor(
    /** Namespaces named outright (the pod's own when the term names none and has no selector). */
    readonly namespaces: ReadonlySet<string>,
    /** Namespaces chosen by their labels (a null selector chooses none, {} chooses all). */
    readonly namespaceSelector: LabelSelector,
    readonly selector: LabelSelector,
    readonly topologyKey: string,
  ) {}

  /** Whether `pod` (in a namespace labelled `nsLabels`) is one the term speaks of. */
  matches(pod: Pod, nsLabels: Record<string, string> | undefined): boolean {
    const ns = pod.metadata.namespace ?? '';
    if (
      this.namespaces.has(ns) ||
      (!this.namespaceSelector.nothing && matchesLabels(this.namespaceSelector, nsLabels))
    )
      return matchesLabels(this.selector, pod.metadata.labels);
    return false;
  }

  matchesNamespaceLabels(nsLabels: Record<string, string> | undefined): boolean {
    return !this.namespaceSelector.nothing && matchesLabels(this.namespaceSelector, nsLabels);
  }

  /** The same term with its namespace selector resolved into names (the incoming pod's terms). */
  withNamespaces(extra: Iterable<string>): AffinityTerm {
    const all = new Set(this.namespaces);
    for (const n of extra) all.add(n);
    return new AffinityTerm(all, NOTHING, this.selector, this.topologyKey);
  }
}

export interface WeightedAffinityTerm {
  term: AffinityTerm;
  weight: number;
}

/** A label selector object with the pod's values for matchLabelKeys / mismatchLabelKeys added. */
export function selectorWithLabelKeys(
  selector: LabelSelectorObject | null | undefined,
  pod: Pod,
  matchLabelKeys: readonly string[] | undefined,
  mismatchLabelKeys: readonly string[] | undefined,
): LabelSelector {
  const base = labelSelectorFromObject(selector as Parameters<typeof labelSelectorFromObject>[0]);
  if (base.nothing || (!matchLabelKeys?.length && !mismatchLabelKeys?.length)) return base;
  const labels = pod.metadata.labels ?? {};
  const extra: LabelRequirement[] = [];
  for (const key of matchLabelKeys ?? [])
    if (key in labels) extra.push({ key, operator: 'In', values: [labels[key]] });
  for (const key of mismatchLabelKeys ?? [])
    if (key in labels) extra.push({ key, operator: 'NotIn', values: [labels[key]] });
  return { requirements: [...base.requirements, ...extra] };
}

export function compileAffinityTerm(pod: Pod, term: PodAffinityTerm): AffinityTerm {
  if (!term.topologyKey) throw new Error('topologyKey: Required value: can not be empty');
  const selector = selectorWithLabelKeys(
    term.labelSelector,
    pod,
    term.matchLabelKeys,
    term.mismatchLabelKeys,
  );
  const named = term.namespaces ?? [];
  const namespaces =
    named.length === 0 && !term.namespaceSelector
      ? new Set([pod.metadata.namespace ?? ''])
      : new Set(named);
  const nsSelector = labelSelectorFromObject(
    term.namespaceSelector as Parameters<typeof labelSelectorFromObject>[0],
  );
  return new AffinityTerm(namespaces, nsSelector, selector, term.topologyKey);
}

export function compileWeightedTerms(
  pod: Pod,
  terms: readonly WeightedPodAffinityTerm[] | undefined,
): WeightedAffinityTerm[] {
  if (!terms?.length) return [];
  return terms.map((t) => ({
    term: compileAffinityTerm(pod, t.podAffinityTerm),
    weight: t.weight,
  }));
}

/** Whether every term matches `pod` (in its own namespace's labels). */
export function matchesAllTerms(
  terms: readonly AffinityTerm[],
  pod: Pod,
  nsLabels: Record<string, string> | undefined,
): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!t.matches(pod, nsLabels)) return false;
  return true;
}
