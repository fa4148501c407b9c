// The whole table as it should be: the base plus the Service ports that may have their rules. Two
// Service ports may not claim the same map key (a NodePort or an address:port used twice): the
// one already in the table keeps it, among new ones the first by name, and the other is left out
// and reported, so one bad Service cannot break the others. Claims are kept between syncs, so an
// incremental sync costs in proportion to what changed.
import type { InputProblem } from './problems';
import { serviceProblem } from './problems';
import { NAMES } from './render-base';
import { BaseRuleset, ElementSpec, ServicePortRules, elementId, isSharedElement } from './ruleset';

export interface DesiredState {
  base: BaseRuleset;
  /** Accepted Service ports by key. */
  services: Map<string, ServicePortRules>;
  /** How many accepted Service ports want each plain-set element (ClusterIPs are shared). */
  sharedRefs: Map<string, number>;
}

export interface AcceptResult {
  services: Map<string, ServicePortRules>;
  sharedRefs: Map<string, number>;
  problems: InputProblem[];
}

/** Who holds which map keys and chain names; which Service ports are in and which are out. */
export class Claims {
  private readonly owners = new Map<string, string>();
  private readonly chainOwners = new Map<string, string>();
  readonly accepted = new Map<string, ServicePortRules>();
  readonly sharedRefs = new Map<string, number>();
  /** Left out, with why; tried again whenever something else lets go of its claims. */
  readonly rejected = new Map<string, { rules: ServicePortRules; problem: InputProblem }>();
  /** Service ports that left `accepted` or entered it since the last takeTouched(). */
  private touched = new Set<string>();

  /** What changed in `accepted` since the last call (an incremental sync looks only at these). */
  takeTouched(): Set<string> {
    const out = this.touched;
    this.touched = new Set();
    return out;
  }

  /** Drops a Service port, in or out, and gives back its claims. */
  remove(key: string): void {
    this.rejected.delete(key);
    const c = this.accepted.get(key);
    if (!c) return;
    this.accepted.delete(key);
    this.touched.add(key);
    for (const el of c.elements) {
      if (isSharedElement(el)) {
        const id = elementId(el);
        const n = (this.sharedRefs.get(id) ?? 1) - 1;
        if (n <= 0) this.sharedRefs.delete(id);
        else this.sharedRefs.set(id, n);
      } else if (this.owners.get(claimId(el)) === key) {
        this.owners.delete(claimId(el));
      }
    }
    for (const name of c.chains.keys())
      if (this.chainOwners.get(name) === key) this.chainOwners.delete(name);
  }

  /**
   * Offers Service ports; ones in `preferred` (they were in the table) go first, then by key.
   * Previously rejected ones are offered again too.
   */
  offer(candidates: readonly ServicePortRules[], preferred: { has(key: string): boolean }): void {
    const retry = [...this.rejected.values()].map((r) => r.rules);
    this.rejected.clear();
    const all = [...candidates, ...retry];
    const byKey = (a: ServicePortRules, b: ServicePortRules) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
    const ordered = [
      ...all.filter((c) => preferred.has(c.key)).sort(byKey),
      ...all.filter((c) => !preferred.has(c.key)).sort(byKey),
    ];
    for (const c of ordered) this.tryAccept(c);
  }

  problems(): InputProblem[] {
    return [...this.rejected.values()].map((r) => r.problem);
  }

  private tryAccept(c: ServicePortRules): void {
    let conflict: string | undefined;
    for (const el of c.elements) {
      if (isSharedElement(el)) continue;
      const owner = this.owners.get(claimId(el));
      if (owner !== undefined && owner !== c.key) {
        conflict = `${describeKey(el.set, el.key)} is already used by ${this.describe(owner)}`;
        break;
      }
    }
    if (!conflict) {
      for (const name of c.chains.keys()) {
        const owner = this.chainOwners.get(name);
        if (owner !== undefined && owner !== c.key) {
          conflict = `its chain ${name} is already used by ${this.describe(owner)}`;
          break;
        }
      }
    }
    if (conflict) {
      this.rejected.set(c.key, {
        rules: c,
        problem: serviceProblem(c.serviceKey, `${c.label} left out: ${conflict}`, 'Conflict'),
      });
      return;
    }
    for (const el of c.elements) {
      if (isSharedElement(el)) {
        const id = elementId(el);
        this.sharedRefs.set(id, (this.sharedRefs.get(id) ?? 0) + 1);
      } else {
        this.owners.set(claimId(el), c.key);
      }
    }
    for (const name of c.chains.keys()) this.chainOwners.set(name, c.key);
    this.accepted.set(c.key, c);
    this.touched.add(c.key);
  }

  private describe(key: string): string {
    const c = this.accepted.get(key);
    return c ? `Service ${c.serviceKey} ${c.label}` : key;
  }
}

/** All at once, from nothing (full syncs and tests). */
export function acceptServicePorts(
  candidates: Iterable<ServicePortRules>,
  previouslyAccepted: { has(key: string): boolean } = new Set(),
): AcceptResult {
  const claims = new Claims();
  claims.offer([...candidates], previouslyAccepted);
  return { services: claims.accepted, sharedRefs: claims.sharedRefs, problems: claims.problems() };
}

/** Where a key is claimed: an address:port belongs to one Service port whether it dispatches to
 *  endpoints or is rejected for having none; likewise a NodePort. */
function claimId(el: ElementSpec): string {
  switch (el.set) {
    case NAMES.serviceIPs:
    case NAMES.noEndpointServices:
      return `address ${el.key}`;
    case NAMES.serviceNodePorts:
    case NAMES.noEndpointNodePorts:
      return `nodeport ${el.key}`;
    default:
      return elementId(el);
  }
}

function describeKey(set: string, key: string): string {
  const [a, b, c] = key.split(' . ');
  if (c === undefined) return `NodePort ${b}/${a}`;
  return `${a.includes(':') ? `[${a}]` : a}:${c}/${b}${set === NAMES.firewallIPs ? ' (firewall)' : ''}`;
}
