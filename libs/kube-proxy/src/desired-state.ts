// The whole table as it should be: the base plus the Service ports that may have their rules. Two
// Service ports may not claim the same map key (a NodePort or an address:port used twice): the
// one already in the table keeps it, among new ones the first by name, and the other is left out
// and reported, so one bad Service cannot break the others.
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

export function acceptServicePorts(
  candidates: Iterable<ServicePortRules>,
  previouslyAccepted: ReadonlySet<string> = new Set(),
): AcceptResult {
  const all = [...candidates];
  const byKey = (a: ServicePortRules, b: ServicePortRules) =>
    a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  const ordered = [
    ...all.filter((c) => previouslyAccepted.has(c.key)).sort(byKey),
    ...all.filter((c) => !previouslyAccepted.has(c.key)).sort(byKey),
  ];
  const owners = new Map<string, string>();
  const chainOwners = new Map<string, string>();
  const services = new Map<string, ServicePortRules>();
  const sharedRefs = new Map<string, number>();
  const problems: InputProblem[] = [];

  for (const c of ordered) {
    let conflict: string | undefined;
    for (const el of c.elements) {
      if (isSharedElement(el)) continue;
      const owner = owners.get(claimId(el));
      if (owner !== undefined) {
        conflict = `${describeKey(el.set, el.key)} is already used by ${owner}`;
        break;
      }
    }
    if (!conflict) {
      for (const name of c.chains.keys()) {
        const owner = chainOwners.get(name);
        if (owner !== undefined) {
          conflict = `its chain ${name} is already used by ${owner}`;
          break;
        }
      }
    }
    if (conflict) {
      problems.push(serviceProblem(c.serviceKey, `${c.label} left out: ${conflict}`, 'Conflict'));
      continue;
    }
    const who = `Service ${c.serviceKey} ${c.label}`;
    for (const el of c.elements) {
      if (isSharedElement(el)) {
        const id = elementId(el);
        sharedRefs.set(id, (sharedRefs.get(id) ?? 0) + 1);
      } else {
        owners.set(claimId(el), who);
      }
    }
    for (const name of c.chains.keys()) chainOwners.set(name, who);
    services.set(c.key, c);
  }
  return { services, sharedRefs, problems };
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
