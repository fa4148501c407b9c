import { HEALTHY, HealthRegistry, unhealthy } from './health-registry';

describe('HealthRegistry', () => {
  it('gives /livez and /readyz their own check sets; /healthz runs all', async () => {
    const registry = new HealthRegistry();
    registry.register({ name: 'ping', check: () => HEALTHY });
    registry.register({
      name: 'caught-up',
      check: () => unhealthy('behind'),
      endpoints: ['readyz'],
    });
    expect((await registry.run('livez')).passed).toBe(true);
    expect((await registry.run('readyz')).passed).toBe(false);
    expect(registry.checksFor('healthz').map((c) => c.name)).toEqual(['ping', 'caught-up']);
  });

  it('turns a thrown error or a rejected promise into a failure with its message', async () => {
    const registry = new HealthRegistry();
    registry.register({
      name: 'throws',
      check: () => {
        throw new Error('boom');
      },
    });
    registry.register({ name: 'rejects', check: () => Promise.reject(new Error('later')) });
    expect((await registry.run('livez')).outcomes).toEqual([
      { name: 'throws', state: 'failed', reason: 'boom' },
      { name: 'rejects', state: 'failed', reason: 'later' },
    ]);
  });

  it('fails a check that never answers instead of hanging the probe', async () => {
    const registry = new HealthRegistry(10);
    registry.register({ name: 'stuck', check: () => new Promise(() => undefined) });
    expect((await registry.run('livez')).outcomes).toEqual([
      { name: 'stuck', state: 'failed', reason: 'timed out after 10ms' },
    ]);
  });

  it('refuses duplicate and malformed names', () => {
    const registry = new HealthRegistry();
    registry.register({ name: 'ping', check: () => HEALTHY });
    expect(() => registry.register({ name: 'ping', check: () => HEALTHY })).toThrow(
      'already registered',
    );
    expect(() => registry.register({ name: 'Bad Name', check: () => HEALTHY })).toThrow(
      'lowercase',
    );
  });

  it('runs one check by name only within its endpoint', async () => {
    const registry = new HealthRegistry();
    registry.register({ name: 'caught-up', check: () => HEALTHY, endpoints: ['readyz'] });
    expect(await registry.runNamed('readyz', 'caught-up')).toEqual(HEALTHY);
    expect(await registry.runNamed('livez', 'caught-up')).toBeUndefined();
  });
});
