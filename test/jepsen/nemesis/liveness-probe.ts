// After a fault ends, is every member serving again, and how soon? Each member is asked for a
// linearizable read and a write through the etcd API (and, where there is one, a read and a
// write through the Kubernetes API), retried until they succeed or the probe's time is up.
// The answer is the time from the fault's end to the first success of each.
import { randomBytes } from 'node:crypto';
import type { JepsenCluster } from '../systems/cluster';
import { sleep } from '../systems/cluster';
import { KUBE_NAMESPACE } from '../workload/kube-configmap-client';

export type ProbeKind = 'etcd-read' | 'etcd-write' | 'kube-read' | 'kube-write';

export interface MemberProbe {
  member: string;
  /** Milliseconds from the fault's end to the first success; undefined: none within the limit. */
  ms: Partial<Record<ProbeKind, number>>;
  /** The last error of each probe that never succeeded. */
  errors: Partial<Record<ProbeKind, string>>;
}

/** Per attempt: short, so a member that comes back is seen soon after. */
const ATTEMPT_TIMEOUT_MS = 1000;
const RETRY_PAUSE_MS = 50;

/**
 * Probes every member at once; `since` is the fault's end on the same clock, `limitMs` how long
 * after it to keep trying.
 */
export async function probeMembers(
  cluster: JepsenCluster,
  clock: () => number,
  since: number,
  limitMs: number,
): Promise<MemberProbe[]> {
  return Promise.all(
    cluster.names.map((name) => probeMember(cluster, name, clock, since, limitMs)),
  );
}

async function probeMember(
  cluster: JepsenCluster,
  name: string,
  clock: () => number,
  since: number,
  limitMs: number,
): Promise<MemberProbe> {
  const result: MemberProbe = { member: name, ms: {}, errors: {} };
  const attempts: Partial<Record<ProbeKind, (timeoutMs: number) => Promise<void>>> = {
    'etcd-read': async (t) => {
      await cluster.client(name).range({ key: Buffer.from('/jepsen/probe') }, t);
    },
    'etcd-write': async (t) => {
      await cluster
        .client(name)
        .put({ key: Buffer.from(`/jepsen/probe/${name}`), value: randomBytes(8) }, t);
    },
  };
  const api = cluster.apiBase(name);
  if (api !== undefined) {
    attempts['kube-read'] = (t) =>
      expectStatus(api, 'GET', `/api/v1/namespaces/${KUBE_NAMESPACE}`, t, 200);
    attempts['kube-write'] = (t) =>
      expectStatus(api, 'POST', `/api/v1/namespaces/${KUBE_NAMESPACE}/configmaps`, t, 201, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { generateName: `jepsen-probe-${name}-` },
        data: { at: String(Date.now()) },
      });
  }
  await Promise.all(
    Object.entries(attempts).map(async ([kind, attempt]) => {
      const k = kind as ProbeKind;
      for (;;) {
        const left = since + limitMs - clock();
        if (left <= 0) return;
        try {
          await attempt(Math.max(1, Math.floor(Math.min(ATTEMPT_TIMEOUT_MS, left))));
          result.ms[k] = Math.round(clock() - since);
          delete result.errors[k];
          return;
        } catch (err) {
          result.errors[k] = (err as Error).message ?? String(err);
          await sleep(RETRY_PAUSE_MS);
        }
      }
    }),
  );
  return result;
}

async function expectStatus(
  base: string,
  method: string,
  path: string,
  timeoutMs: number,
  status: number,
  body?: unknown,
): Promise<void> {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (res.status !== status)
    throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 200)}`);
}
