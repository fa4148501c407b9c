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

export class SyncPlanner {
  private readonly rendered = new Map<string, RenderedService>();
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
    previouslyAccepted: ReadonlySet<string>,
  ): { next: DesiredState; problems: InputProblem[] } {
    if (renderAll || !this.claims) {
      this.rendered.clear();
      const candidates: ServicePortRules[] = [];
      for (const key of tracker.serviceKeys()) {
        const r = this.renderService(tracker, key);
        this.rendered.set(key, r);
        candidates.push(...r.ports);
      }
      this.claims = new Claims();
      this.claims.offer(candidates, previouslyAccepted);
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
        if (!tracker.service(key)) continue;
        const r = this.renderService(tracker, key);
        this.rendered.set(key, r);
        candidates.push(...r.ports);
      }
      if (candidates.length > 0 || claims.rejected.size > 0) claims.offer(candidates, preferred);
    }
    const problems: InputProblem[] = [];
    for (const r of this.rendered.values()) if (r.problems.length > 0) problems.push(...r.problems);
    problems.push(...this.claims.problems());
    return {
      next: {
        base: this.base,
        services: new Map(this.claims.accepted),
        sharedRefs: new Map(this.claims.sharedRefs),
      },
      problems,
    };
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
