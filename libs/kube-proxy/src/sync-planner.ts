// Turns the tracked objects into the next desired state. Renders only the Services that changed
// (or all of them for a full sync) and reuses the rest, so an incremental sync costs in proportion
// to the change, not to the cluster.
import { Claims, DesiredState } from './desired-state';
import { portKey, serviceEndpoints } from './endpoints';
import type { InputProblem } from './problems';
import { serviceProblem } from './problems';
import { renderBase } from './render-base';
import type { RenderOptions } from './render-options';
import { renderServicePort } from './render-service';
import type { BaseRuleset, ServicePortRules } from './ruleset';
import { servicePorts } from './service-ports';
import type { ServiceTracker } from './service-tracker';

interface RenderedService {
  ports: ServicePortRules[];
  problems: InputProblem[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface Plan {
  next: DesiredState;
  problems: InputProblem[];
  /** Service ports whose rules may differ from the previous plan's; undefined: all may. */
  changed: ReadonlySet<string> | undefined;
}

export class SyncPlanner {
  private readonly rendered = new Map<string, RenderedService>();
  /** Keys of `rendered` with problems (so a sync need not walk every Service to list them). */
  private readonly withProblems = new Set<string>();
  private claims: Claims | undefined;
  private base: BaseRuleset;

  constructor(private opts: RenderOptions) {
    this.base = renderBase(opts);
  }

  get options(): RenderOptions {
    return this.opts;
  }

  /** New node facts or flags. True when the base changed (the next sync must be full). */
  setOptions(opts: RenderOptions): boolean {
    const before = this.base.fingerprint;
    const sameNode = opts.nodeName === this.opts.nodeName;
    this.opts = opts;
    this.base = renderBase(opts);
    const changed = before !== this.base.fingerprint || !sameNode;
    if (changed) {
      this.rendered.clear();
      this.withProblems.clear();
      this.claims = undefined;
    }
    return changed;
  }

  /**
   * The next desired state. `dirty` Services are rendered again and their claims redone; with
   * `renderAll` everything is (and Service ports in `previouslyAccepted` keep their claims).
   */
  plan(
    tracker: ServiceTracker,
    dirty: ReadonlySet<string>,
    renderAll: boolean,
    previouslyAccepted: { has(key: string): boolean },
  ): Plan {
    let changed: Set<string> | undefined;
    if (renderAll || !this.claims) {
      this.rendered.clear();
      this.withProblems.clear();
      const candidates: ServicePortRules[] = [];
      for (const key of tracker.serviceKeys()) {
        const r = this.renderService(tracker, key);
        this.setRendered(key, r);
        candidates.push(...r.ports);
      }
      this.claims = new Claims();
      this.claims.offer(candidates, previouslyAccepted);
      this.claims.takeTouched();
    } else {
      const claims = this.claims;
      const candidates: ServicePortRules[] = [];
      const preferred = new Set<string>();
      for (const key of dirty) {
        for (const sp of this.rendered.get(key)?.ports ?? []) {
          if (claims.accepted.has(sp.key)) preferred.add(sp.key);
          claims.remove(sp.key);
        }
        this.rendered.delete(key);
        this.withProblems.delete(key);
        if (!tracker.service(key)) continue;
        const r = this.renderService(tracker, key);
        this.setRendered(key, r);
        candidates.push(...r.ports);
      }
      if (candidates.length > 0 || claims.rejected.size > 0) claims.offer(candidates, preferred);
      changed = claims.takeTouched();
    }
    const problems: InputProblem[] = [];
    for (const key of this.withProblems) problems.push(...this.rendered.get(key)!.problems);
    problems.push(...this.claims.problems());
    return {
      // Copies: the planner goes on changing its own maps, and the applied state must stay as it
      // was (about 2 ms for 10 000 Services; everything else here costs in proportion to the change).
      next: {
        base: this.base,
        services: new Map(this.claims.accepted),
        sharedRefs: new Map(this.claims.sharedRefs),
      },
      problems,
      changed,
    };
  }

  private setRendered(key: string, r: RenderedService): void {
    this.rendered.set(key, r);
    if (r.problems.length > 0) this.withProblems.add(key);
    else this.withProblems.delete(key);
  }

  private renderService(tracker: ServiceTracker, key: string): RenderedService {
    const svc = tracker.service(key);
    if (!svc) return { ports: [], problems: [] };
    const { namespace = '', name = '' } = svc.metadata;
    if (
      !DNS_LABEL.test(namespace) ||
      !DNS_LABEL.test(name) ||
      name.length > 63 ||
      namespace.length > 63
    ) {
      return {
        ports: [],
        problems: [serviceProblem(key, 'namespace and name must be DNS labels')],
      };
    }
    const { ports, problems } = servicePorts(svc, this.opts.family);
    if (ports.length === 0) return { ports: [], problems };
    const endpoints = serviceEndpoints(tracker.slicesOf(key), this.opts.family, this.opts.nodeName);
    problems.push(...endpoints.problems);
    const seen = new Set<string>();
    const out: ServicePortRules[] = [];
    for (const sp of ports) {
      const id = portKey(sp.portName, sp.protocol);
      if (sp.portName !== '' && (!PORT_NAME.test(sp.portName) || sp.portName.length > 63)) {
        problems.push(
          serviceProblem(key, `port name ${JSON.stringify(sp.portName)} is not a valid port name`),
        );
        continue;
      }
      if (seen.has(id)) {
        problems.push(
          serviceProblem(
            key,
            `port ${sp.portName || sp.port}/${sp.protocol} is defined twice`,
            'Conflict',
          ),
        );
        continue;
      }
      seen.add(id);
      out.push(renderServicePort(sp, endpoints.byPort.get(id) ?? [], this.opts));
    }
    return { ports: out, problems };
  }
}
