import { HEALTHY, HealthStatus, unhealthy } from '@flotilla/observability';
import type { ReadBarrier } from './read-barrier';

/** How long /readyz gives a linearizable read barrier before it calls the member not ready. */
export const READ_BARRIER_READY_WITHIN_MS = 1000;

/**
 * The readyz check that a master can serve linearizable reads now: one read barrier must
 * complete within the bound. A master whose reads are stuck (no leader it can reach, a read
 * round that never ends) answers 500 here even while every other check passes. Probes that
 * arrive while a check runs share its answer.
 */
export class ReadBarrierReadiness {
  private inFlight: Promise<HealthStatus> | undefined;

  constructor(
    private readonly gate: Pick<ReadBarrier, 'wait'>,
    private readonly boundMs = READ_BARRIER_READY_WITHIN_MS,
  ) {}

  check(): Promise<HealthStatus> {
    if (!this.inFlight) {
      this.inFlight = this.run().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  private async run(): Promise<HealthStatus> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<HealthStatus>((resolve) => {
      timer = setTimeout(
        () => resolve(unhealthy(`no linearizable read barrier within ${this.boundMs} ms`)),
        this.boundMs,
      );
    });
    const barrier = this.gate.wait().then(
      () => HEALTHY,
      (err: unknown) =>
        unhealthy(`read barrier failed: ${err instanceof Error ? err.message : String(err)}`),
    );
    try {
      return await Promise.race([barrier, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
