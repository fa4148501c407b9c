// What can go wrong between the client and a master, split by what the caller may do about it:
// a request that never left can be sent anywhere; one whose outcome is unknown must not be
// replayed unless it is idempotent.

/** A request failed at the connection level (no HTTP answer from `endpoint`). */
export class ConnectionError extends Error {
  constructor(
    readonly endpoint: string,
    message: string,
    /** Whether request bytes may have reached the server. */
    readonly sent: boolean,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
}

/** Nothing was sent (connection refused, connect timeout, TLS failure, master known dead). */
export class NotSentError extends ConnectionError {
  constructor(endpoint: string, message: string, cause?: unknown) {
    super(endpoint, message, false, cause);
    this.name = 'NotSentError';
  }
}

/**
 * The request was sent and no complete answer came back: the master may or may not have acted on
 * it. Reads are retried on another master; a write surfaces this error so the caller decides
 * (re-read the object, then retry with a resourceVersion precondition).
 */
export class OutcomeUnknownError extends ConnectionError {
  constructor(endpoint: string, message: string, cause?: unknown) {
    super(endpoint, message, true, cause);
    this.name = 'OutcomeUnknownError';
  }
}

/** Every master was tried and none answered. */
export class UnreachableError extends Error {
  constructor(readonly attempts: readonly ConnectionError[]) {
    super(unreachableMessage(attempts));
    this.name = 'UnreachableError';
  }
}

function unreachableMessage(attempts: readonly ConnectionError[]): string {
  if (attempts.length === 0) return 'no API server endpoint to send the request to';
  const seen = new Map<string, string>();
  for (const a of attempts) seen.set(a.endpoint, a.message);
  const list = [...seen].map(([endpoint, why]) => `${endpoint} (${why})`).join('; ');
  return `cannot reach the API server: ${list}`;
}

/** True when a write may have happened although no answer said so. */
export function isOutcomeUnknown(err: unknown): err is OutcomeUnknownError {
  return err instanceof OutcomeUnknownError;
}

/** Connection-level failures (as opposed to an HTTP answer carrying a Status). */
export function isConnectionFailure(err: unknown): boolean {
  return err instanceof ConnectionError || err instanceof UnreachableError;
}

/** A short reason for a socket error: its errno code when it has one. */
export function describeSocketError(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  if (e?.code && e.message?.includes(e.code)) return e.message;
  if (e?.code) return `${e.code}: ${e.message}`;
  return e?.message ?? String(err);
}
