import type { HealthReport, HealthStatus } from './health-registry';

export interface HealthResponse {
  status: 200 | 404 | 500;
  body: string;
}

/**
 * The Kubernetes text format: `ok` when healthy; with ?verbose one `[+]name ok` line per check and
 * `<endpoint> check passed`; on failure always the full list, `[-]name failed: reason` and
 * `<endpoint> check failed`, with status 500.
 */
export function renderHealthReport(report: HealthReport, verbose: boolean): HealthResponse {
  const lines = report.outcomes.map((o) => {
    switch (o.state) {
      case 'ok':
        return `[+]${o.name} ok\n`;
      case 'excluded':
        return `[+]${o.name} excluded: ok\n`;
      case 'failed':
        return `[-]${o.name} failed: ${oneLine(o.reason)}\n`;
    }
  });
  if (report.unknownExcludes.length > 0) {
    const quoted = report.unknownExcludes.map((n) => JSON.stringify(n)).join(',');
    lines.push(`warn: some health checks cannot be excluded: no matches for ${quoted}\n`);
  }
  if (!report.passed) {
    return { status: 500, body: `${lines.join('')}${report.endpoint} check failed\n` };
  }
  if (!verbose) return { status: 200, body: 'ok' };
  return { status: 200, body: `${lines.join('')}${report.endpoint} check passed\n` };
}

/** /livez/<name>: `ok`, or 500 with the reason; 404 if the endpoint has no such check. */
export function renderSingleCheck(name: string, status: HealthStatus | undefined): HealthResponse {
  if (!status) return { status: 404, body: `no health check named "${name}"\n` };
  if (status.ok) return { status: 200, body: 'ok' };
  return { status: 500, body: `internal server error: ${oneLine(status.reason)}\n` };
}

function oneLine(reason: string): string {
  return reason.replace(/\s*\n\s*/g, ' ');
}
