import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import type { ClientTls } from './e2e-pki';

/** Deadline of one etcd call: long enough for an election, short enough to see unavailability. */
export const CALL_DEADLINE_MS = 2000;

/**
 * A client bound to exactly one member (over TLS as the given identity when `tls` is there), with etcd3's retries and circuit breaker off: a failure
 * must surface at once (the suites retry themselves and measure it), and a write must go to the
 * member the test chose, never silently to another one.
 */
export function singleMemberClient(endpoint: string, tls?: ClientTls): Etcd3 {
  return new Etcd3({
    hosts: `${tls ? 'https' : 'http'}://${endpoint}`,
    ...(tls && {
      credentials: { rootCertificate: tls.ca, certChain: tls.cert, privateKey: tls.key },
    }),
    dialTimeout: CALL_DEADLINE_MS,
    defaultCallOptions: (context) =>
      context.isStream ? {} : { deadline: Date.now() + CALL_DEADLINE_MS },
    faultHandling: { host: () => noop, global: noop },
  });
}

/** Every key under `prefix` as this member has applied it (serializable: no quorum round trip). */
export async function localRange(client: Etcd3, prefix: string): Promise<Map<string, string>> {
  const all = await client.getAll().prefix(prefix).serializable(true).strings();
  return new Map(Object.entries(all));
}

/** The acknowledged writes this member does not hold (missing or with another value). */
export function missingFrom(
  applied: Map<string, string>,
  acked: ReadonlyArray<{ key: string; value: string }>,
): string[] {
  return acked.filter(({ key, value }) => applied.get(key) !== value).map(({ key }) => key);
}
