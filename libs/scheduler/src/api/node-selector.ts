// Node selection: a pod's nodeSelector and required node affinity, and node selector terms in
// general (In, NotIn, Exists, DoesNotExist, Gt, Lt on labels; In and NotIn on metadata.name).
// As Kubernetes' LazyErrorNodeSelector, a malformed term is kept but matches no node, so a pod
// with a broken affinity waits with "didn't match Pod's node affinity/selector".
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod } from './types';

type NodeMatcher = (node: Node) => boolean;

export interface CompiledTerm {
  matches: NodeMatcher;
  /** Why the term matches nothing, when it is malformed. */
  error?: string;
  /** Node names the term allows, when it has a metadata.name In requirement (a shortcut). */
  nodeNames?: Set<string>;
}

const INTEGER = /^[+-]?\d+$/;

function compileRequirement(
  req: NodeSelectorRequirement,
  field: boolean,
): { match: (value: string | undefined) => boolean } | { error: string } {
  const values = req.values ?? [];
  const key = req.key;
  if (!key) return { error: 'key must not be empty' };
  if (field && key !== 'metadata.name')
    return { error: `${JSON.stringify(key)} is not a valid field selector key` };
  switch (req.operator) {
    case 'In':
    case 'NotIn': {
      if (values.length === 0)
        return { error: `for 'in', 'notin' operators, values set can't be empty` };
      if (field && values.length !== 1)
        return {
          error:
            "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
        };
      const set = new Set(values);
      return req.operator === 'In'
        ? { match: (v) => v !== undefined && set.has(v) }
        : { match: (v) => v === undefined || !set.has(v) };
    }
    case 'Exists':
    case 'DoesNotExist':
      if (field) return { error: `${req.operator} is not a valid field selector operator` };
      if (values.length > 0)
        return { error: 'values set must be empty for exists and does not exist' };
      return req.operator === 'Exists'
        ? { match: (v) => v !== undefined }
        : { match: (v) => v === undefined };
    case 'Gt':
    case 'Lt': {
      if (field) return { error: `${req.operator} is not a valid field selector operator` };
      if (values.length !== 1 || !INTEGER.test(values[0]))
        return { error: `for 'Gt', 'Lt' operators, the value must be a single integer` };
      const bound = Number(values[0]);
      const gt = req.operator === 'Gt';
      return {
        match: (v) => {
          if (v === undefined || !INTEGER.test(v)) return false;
          const n = Number(v);
          return gt ? n > bound : n < bound;
        },
      };
    }
    default:
      return { error: `${JSON.stringify(req.operator)} is not a valid node selector operator` };
  }
}

/** One NodeSelectorTerm: all its requirements must hold; an empty term matches nothing. */
export function compileTerm(term: NodeSelectorTerm | undefined | null): CompiledTerm {
  const exprs = term?.matchExpressions ?? [];
  const fields = term?.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return { matches: () => false };
  const checks: NodeMatcher[] = [];
  let nodeNames: Set<string> | undefined;
  for (const req of exprs) {
    const c = compileRequirement(req, false);
    if ('error' in c) return { matches: () => false, error: c.error };
    const key = req.key;
    checks.push((node) => c.match(node.metadata.labels?.[key]));
  }
  for (const req of fields) {
    const c = compileRequirement(req, true);
    if ('error' in c) return { matches: () => false, error: c.error };
    if (req.operator === 'In') nodeNames = new Set(req.values);
    checks.push((node) => c.match(node.metadata.name));
  }
  const matches: NodeMatcher =
    checks.length === 1 ? checks[0] : (node) => checks.every((check) => check(node));
  return { matches, nodeNames };
}

/** The terms ORed: a node matching any term matches. */
export class NodeSelector {
  readonly terms: CompiledTerm[];

  constructor(terms: (NodeSelectorTerm | null | undefined)[]) {
    this.terms = terms.map(compileTerm);
  }

  matches(node: Node): boolean {
    for (const t of this.terms) if (t.matches(node)) return true;
    return false;
  }

  /** The first malformed term's problem, if any. */
  get error(): string | undefined {
    return this.terms.find((t) => t.error)?.error;
  }
}

/** A pod's hard node constraints: spec.nodeSelector AND its required node affinity. */
export class RequiredNodeAffinity {
  private readonly labelSelector: [string, string][];
  private readonly selector: NodeSelector | undefined;

  constructor(pod: Pod) {
    this.labelSelector = Object.entries(pod.spec?.nodeSelector ?? {});
    const required =
      pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    // A required affinity with no terms matches nothing (validation would refuse it).
    this.selector = required ? new NodeSelector(required.nodeSelectorTerms ?? []) : undefined;
  }

  get isEmpty(): boolean {
    return this.labelSelector.length === 0 && !this.selector;
  }

  matches(node: Node): boolean {
    if (this.labelSelector.length > 0) {
      const labels = node.metadata.labels;
      if (!labels) return false;
      for (const [k, v] of this.labelSelector) if (labels[k] !== v) return false;
    }
    return this.selector ? this.selector.matches(node) : true;
  }

  /**
   * Node names the pod can only go to, when every term pins metadata.name (NodeAffinity's
   * PreFilter result); undefined when any node might do.
   */
  nodeNames(): Set<string> | undefined {
    if (!this.selector) return undefined;
    const out = new Set<string>();
    for (const t of this.selector.terms) {
      if (!t.nodeNames) return undefined;
      for (const n of t.nodeNames) out.add(n);
    }
    return out;
  }
}
