// The audit policy `flotilla up` writes to DATA/audit-policy.yaml when there is none: who did
// what at the Metadata level (no bodies, so no Secret data in the log), without the
// heartbeats and health checks that would otherwise fill it. Edit the file and restart the
// members to change it.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const AUDIT_POLICY_FILE = 'audit-policy.yaml';

export const DEFAULT_AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  # Node and component heartbeats: a write every few seconds per node.
  - level: None
    verbs: [get, update, patch]
    resources:
      - group: coordination.k8s.io
        resources: [leases]
  # Health checks and version probes.
  - level: None
    nonResourceURLs: [/healthz*, /livez*, /readyz*, /version, /version/]
  # Events record what happened already.
  - level: None
    resources:
      - group: ""
        resources: [events]
      - group: events.k8s.io
        resources: [events]
  # Everything else: who, what, when, and the answer.
  - level: Metadata
`;

/** Writes the default policy into the data directory unless one is there; returns its path. */
export function ensureAuditPolicy(dataDir: string): string {
  const file = join(dataDir, AUDIT_POLICY_FILE);
  if (!existsSync(file)) writeFileSync(file, DEFAULT_AUDIT_POLICY, { mode: 0o644 });
  return file;
}
