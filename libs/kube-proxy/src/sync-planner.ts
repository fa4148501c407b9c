// Turns the tracked objects into the next desired state. Renders only the Services that changed
// (or all of them for a full sync) and reuses the rest, so an incremental sync costs in proportion
// to the change, not to the cluster.
import { DesiredState, acceptServicePorts } from './desired-state';
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
    if (!sameNode || before !== this.base.fingerprint) this.rendered.clear();
    return before !== this.base.fingerprint || !sameNode;
  }

  /**
   * The next desired state. `dirty` Services are rendered again (all of them when `renderAll`);
   * Service ports in `previouslyAccepted` keep their claims over newcomers.
   */
  plan(
    tracker: ServiceTracker,
    dirty: ReadonlySet<string>,
    renderAll: boolean,
    previouslyAccepted: ReadonlySet<string>,
  ): { next: DesiredState; problems: InputProblem[] } {
    if (renderAll) this.rendered.clear();
    for (const key of dirty) this.rendered.delete(key);
    for (const key of [...this.rendered.keys()])
      if (!tracker.service(key)) this.rendered.delete(key);

    const problems: InputProblem[] = [];
    const candidates: ServicePortRules[] = [];
    for (const key of tracker.serviceKeys()) {
      let r = this.rendered.get(key);
      if (!r) this.rendered.set(key, (r = this.renderService(tracker, key)));
      problems.push(...r.problems);
      candidates.push(...r.ports);
    }
    const accepted = acceptServicePorts(candidates, previouslyAccepted);
    problems.push(...accepted.problems);
    return {
      next: { base: this.base, services: accepted.services, sharedRefs: accepted.sharedRefs },
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
