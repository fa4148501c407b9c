/** The Kubernetes-style health endpoints. /healthz runs every check. */
export type HealthEndpoint = 'healthz' | 'livez' | 'readyz';

export type HealthStatus = { ok: true } | { ok: false; reason: string };

export interface HealthCheck {
  /** Shown as `[+]name ok`; also the path segment of /livez/<name>. */
  name: string;
  /** Returns a status, or throws (the error message becomes the reason). */
  check: () => HealthStatus | Promise<HealthStatus>;
  /**
   * Which of /livez and /readyz run it (both if omitted). Liveness should fail only when a restart
   * would help; "not caught up yet" belongs to readiness alone.
   */
  endpoints?: ReadonlyArray<'livez' | 'readyz'>;
}

export type CheckOutcome =
  | { name: string; state: 'ok' }
  | { name: string; state: 'excluded' }
  | { name: string; state: 'failed'; reason: string };

export interface HealthReport {
  endpoint: HealthEndpoint;
  outcomes: CheckOutcome[];
  /** Names given in ?exclude= that match no check of this endpoint. */
  unknownExcludes: string[];
  passed: boolean;
}

export const HEALTHY: HealthStatus = { ok: true };

export function unhealthy(reason: string): HealthStatus {
  return { ok: false, reason };
}

const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/**
 * Named checks that other parts of the process register at start-up (raft adds "leader known" and
 * "caught up" here); the HTTP layer only runs and renders them.
 */
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();

  /** A check slower than this fails, so a stuck dependency gives 500, not a hung probe. */
  constructor(private readonly timeoutMs = 5000) {}

  register(check: HealthCheck): void {
    if (!NAME_PATTERN.test(check.name)) {
      throw new Error(`health check name "${check.name}" must be lowercase letters, digits and -`);
    }
    if (this.checks.has(check.name)) {
      throw new Error(`health check "${check.name}" is already registered`);
    }
    this.checks.set(check.name, check);
  }

  unregister(name: string): void {
    this.checks.delete(name);
  }

  /** The checks an endpoint runs, in registration order. */
  checksFor(endpoint: HealthEndpoint): HealthCheck[] {
    return [...this.checks.values()].filter(
      (c) => endpoint === 'healthz' || (c.endpoints ?? ['livez', 'readyz']).includes(endpoint),
    );
  }

  async run(endpoint: HealthEndpoint, exclude: readonly string[] = []): Promise<HealthReport> {
    const checks = this.checksFor(endpoint);
    const excluded = new Set(exclude);
    const outcomes = await Promise.all(
      checks.map(async (c): Promise<CheckOutcome> => {
        if (excluded.has(c.name)) return { name: c.name, state: 'excluded' };
        const status = await this.runOne(c);
        return status.ok
          ? { name: c.name, state: 'ok' }
          : { name: c.name, state: 'failed', reason: status.reason };
      }),
    );
    const known = new Set(checks.map((c) => c.name));
    return {
      endpoint,
      outcomes,
      unknownExcludes: [...excluded].filter((name) => !known.has(name)).sort(),
      passed: outcomes.every((o) => o.state !== 'failed'),
    };
  }

  /** Runs one check of an endpoint by name; undefined if the endpoint has no such check. */
  async runNamed(endpoint: HealthEndpoint, name: string): Promise<HealthStatus | undefined> {
    const check = this.checksFor(endpoint).find((c) => c.name === name);
    return check ? this.runOne(check) : undefined;
  }

  private async runOne(check: HealthCheck): Promise<HealthStatus> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<HealthStatus>((resolve) => {
      timer = setTimeout(
        () => resolve(unhealthy(`timed out after ${this.timeoutMs}ms`)),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([Promise.resolve().then(check.check), timeout]);
    } catch (err) {
      return unhealthy(err instanceof Error ? err.message : String(err));
    } finally {
      clearTimeout(timer);
    }
  }
}
