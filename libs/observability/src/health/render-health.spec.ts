import { HEALTHY, HealthRegistry, unhealthy } from './health-registry';
import { renderHealthReport, renderSingleCheck } from './render-health';

function registryWith(...checks: [string, () => ReturnType<typeof unhealthy>][]) {
  const registry = new HealthRegistry();
  for (const [name, check] of checks) registry.register({ name, check });
  return registry;
}

describe('Kubernetes-style health output', () => {
  it('answers a bare "ok" when every check passes', async () => {
    const registry = registryWith(['ping', () => HEALTHY], ['log', () => HEALTHY]);
    expect(renderHealthReport(await registry.run('livez'), false)).toEqual({
      status: 200,
      body: 'ok',
    });
  });

  it('lists each check with ?verbose, then "<endpoint> check passed"', async () => {
    const registry = registryWith(['ping', () => HEALTHY], ['log', () => HEALTHY]);
    expect(renderHealthReport(await registry.run('readyz'), true)).toEqual({
      status: 200,
      body: '[+]ping ok\n[+]log ok\nreadyz check passed\n',
    });
  });

  it('fails with 500, the full list and the reason, verbose or not', async () => {
    const registry = registryWith(['ping', () => HEALTHY], ['raft', () => unhealthy('no leader')]);
    const expected = {
      status: 500,
      body: '[+]ping ok\n[-]raft failed: no leader\nhealthz check failed\n',
    };
    expect(renderHealthReport(await registry.run('healthz'), false)).toEqual(expected);
    expect(renderHealthReport(await registry.run('healthz'), true)).toEqual(expected);
  });

  it('reports excluded checks as passing and warns about unknown names', async () => {
    const registry = registryWith(['ping', () => HEALTHY], ['raft', () => unhealthy('no leader')]);
    const report = await registry.run('livez', ['raft', 'nope', 'alsonot']);
    expect(renderHealthReport(report, true)).toEqual({
      status: 200,
      body:
        '[+]ping ok\n[+]raft excluded: ok\n' +
        'warn: some health checks cannot be excluded: no matches for "alsonot","nope"\n' +
        'livez check passed\n',
    });
  });

  it('keeps a multi-line reason on one line', async () => {
    const registry = registryWith(['disk', () => unhealthy('full\n  really')]);
    expect(renderHealthReport(await registry.run('livez'), false).body).toContain(
      '[-]disk failed: full really\n',
    );
  });

  it('renders one named check: ok, 500 with reason, or 404', () => {
    expect(renderSingleCheck('ping', HEALTHY)).toEqual({ status: 200, body: 'ok' });
    expect(renderSingleCheck('raft', unhealthy('no leader'))).toEqual({
      status: 500,
      body: 'internal server error: no leader\n',
    });
    expect(renderSingleCheck('nope', undefined).status).toBe(404);
  });
});
