import { formatTable } from '../up/console-output';
import type { ClusterSnapshot } from './cluster-snapshot';

/** `flotilla status` as tables: masters, component Leases, nodes with their pods. */
export function formatStatus(s: ClusterSnapshot, nowMs: number): string {
  const out: string[] = [];
  out.push(
    formatTable([
      ['MASTER', 'PID', 'ROLE', 'TERM', 'COMMIT', 'APPLIED', 'API'],
      ...s.masters.map((m) => [
        m.name,
        m.pid === null ? '-' : String(m.pid),
        m.role === 'down' ? 'down (not answering)' : m.role,
        m.term === undefined ? '-' : String(m.term),
        m.commit === undefined ? '-' : String(m.commit),
        m.applied === undefined ? '-' : String(m.applied),
        m.api,
      ]),
    ]),
  );
  out.push('');
  if (s.workers && s.workers.length > 0) {
    const readiness = new Map((s.nodes ?? []).map((n) => [n.name, n.ready]));
    out.push(
      formatTable([
        ['WORKER', 'NETNS', 'ADDRESS', 'AGENT PID', 'CONTAINERD PID', 'NODE'],
        ...s.workers.map((w) => {
          const ready = readiness.get(w.name);
          return [
            w.name,
            w.netns,
            w.address,
            w.agentPid === null ? '-' : String(w.agentPid),
            String(w.containerdPid),
            ready === undefined ? 'not registered' : ready === 'True' ? 'Ready' : 'NotReady',
          ];
        }),
      ]),
    );
    out.push('');
  }
  if (!s.leases || !s.nodes) {
    out.push(`Kubernetes API not answering: ${s.apiError ?? 'unknown error'}`);
    return `${out.join('\n')}\n`;
  }
  out.push(
    formatTable([
      ['LEASE', 'HOLDER', 'SINCE', 'RENEWED'],
      ...s.leases.map((l) => [
        `kube-system/${l.lease}`,
        l.holder ? `${l.holder}${l.expired ? ' (expired)' : ''}` : '-',
        l.acquired ? `${l.acquired} (${ago(l.acquired, nowMs)})` : '-',
        l.renewed ? ago(l.renewed, nowMs) : '-',
      ]),
    ]),
  );
  out.push('');
  if (s.nodes.length === 0) {
    out.push('no nodes (start workers, or "flotilla hollow-nodes")');
  } else {
    out.push(
      formatTable([
        ['NODE', 'READY', 'PODS'],
        ...s.nodes.map((n) => [
          n.name,
          n.ready === 'True' ? 'Ready' : `NotReady (${n.ready})`,
          n.pods === undefined ? '-' : String(n.pods),
        ]),
      ]),
    );
  }
  if (s.unscheduledPods) out.push(`${s.unscheduledPods} pod(s) not scheduled yet`);
  return `${out.join('\n')}\n`;
}

function ago(time: string, nowMs: number): string {
  const ms = nowMs - Date.parse(time);
  if (!Number.isFinite(ms)) return time;
  if (ms < 1000) return 'just now';
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s ago`;
  const m = Math.round(s / 60);
  return m < 120 ? `${m}m ago` : `${Math.round(m / 60)}h ago`;
}
