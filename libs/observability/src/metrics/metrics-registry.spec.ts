import { buildInfo } from '../build-info';
import { createMetricsRegistry } from './metrics-registry';

describe('createMetricsRegistry', () => {
  it('exposes the build-info gauge and default process metrics', async () => {
    const registry = createMetricsRegistry({
      version: '1.2.3',
      node: 'm1',
      component: 'control-plane',
    });
    const text = await registry.metrics();
    expect(text).toContain(
      `flotilla_build_info{version="1.2.3",node="m1",component="control-plane",git_commit="${buildInfo().gitCommit}"} 1`,
    );
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('keeps separate registries apart (two apps in one test process)', async () => {
    const a = createMetricsRegistry({ version: '1', node: 'a', component: 'x' });
    const b = createMetricsRegistry({ version: '1', node: 'b', component: 'x' });
    expect(await a.metrics()).not.toContain('node="b"');
    expect(await b.metrics()).not.toContain('node="a"');
  });
});
