// Budgets for the frames a peer can make an HTTP/2 server spend work on without asking for
// anything: each kind has a token bucket (a burst, refilled at a steady rate). A connection
// that empties one is flooding and is ended with ENHANCE_YOUR_CALM (RFC 9113 10.5). The clock
// is injected, so tests can hold time still and count frames exactly.

/** What a peer can flood with. */
export type FloodKind =
  /** The peer cancels streams we are still working on: the "rapid reset" attack (CVE-2023-44487). */
  | 'reset'
  /** PING frames (each one makes us answer). */
  | 'ping'
  /** SETTINGS frames (each one makes us answer). */
  | 'settings'
  /** Frames that ask for nothing: empty DATA and CONTINUATION, PRIORITY, unknown types. */
  | 'noop';

export interface FloodBudget {
  /** How many frames of the kind are taken at once. */
  burst: number;
  /** How many more are taken per second after the burst. */
  perSecond: number;
}

export type FloodLimits = Record<FloodKind, FloodBudget>;

/**
 * Generous for real clients (a grpc-go client's BDP pings are forgiven by every DATA or HEADERS
 * frame we send; a client cancelling a thousand timed-out calls at once still fits), and bounded
 * for a peer that sends nothing else.
 */
export const DEFAULT_FLOOD_LIMITS: FloodLimits = {
  reset: { burst: 1000, perSecond: 100 },
  ping: { burst: 100, perSecond: 10 },
  settings: { burst: 100, perSecond: 10 },
  noop: { burst: 1000, perSecond: 100 },
};

const KINDS: readonly FloodKind[] = ['reset', 'ping', 'settings', 'noop'];

export class FloodGuard {
  private readonly tokens: Record<FloodKind, number>;
  private readonly refilledAt: Record<FloodKind, number>;

  constructor(
    private readonly limits: FloodLimits,
    private readonly now: () => number,
  ) {
    const t = now();
    this.tokens = { reset: 0, ping: 0, settings: 0, noop: 0 };
    this.refilledAt = { reset: t, ping: t, settings: t, noop: t };
    for (const kind of KINDS) this.tokens[kind] = limits[kind].burst;
  }

  /** Takes one frame of `kind` from its budget; false once the budget is spent (a flood). */
  take(kind: FloodKind): boolean {
    if (this.tokens[kind] < 1) this.refill(kind);
    if (this.tokens[kind] < 1) return false;
    this.tokens[kind]--;
    return true;
  }

  /** Gives a kind its whole burst back (the peer did something that makes the frames fair). */
  forgive(kind: FloodKind): void {
    this.tokens[kind] = this.limits[kind].burst;
  }

  private refill(kind: FloodKind): void {
    const t = this.now();
    const { burst, perSecond } = this.limits[kind];
    const earned = ((t - this.refilledAt[kind]) / 1000) * perSecond;
    if (earned <= 0) return;
    this.tokens[kind] = Math.min(burst, this.tokens[kind] + earned);
    this.refilledAt[kind] = t;
  }
}
