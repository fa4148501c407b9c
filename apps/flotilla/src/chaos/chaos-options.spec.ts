import { ConfigError } from '@flotilla/process';
import { parseChaosOptions } from './chaos-options';

const options = (argv: string[]) => {
  const parsed = parseChaosOptions(argv);
  if (parsed.help) throw new Error('help');
  return parsed.options;
};

describe('flotilla chaos arguments', () => {
  it.each([
    [['kill-leader'], { kind: 'kill-leader' }],
    [['kill-master', 'm2'], { kind: 'kill-master', member: 'm2' }],
    [['pause-leader', '2.5'], { kind: 'pause-leader', seconds: 2.5 }],
    [['--timeout', '5', 'partition', 'm3', '5'], { kind: 'partition', member: 'm3', seconds: 5 }],
    [['kill-worker', 'w2'], { kind: 'kill-worker', worker: 'w2' }],
    [['stop-worker', 'w1', '--no-restart'], { kind: 'stop-worker', worker: 'w1' }],
  ])('%j', (argv, action) => {
    expect(options(argv).action).toEqual(action);
  });

  it('reads the data directory, the bound and --no-restart around the action', () => {
    expect(options(['kill-leader', '--data-dir', '/d', '--timeout', '30', '--no-restart'])).toEqual(
      {
        action: { kind: 'kill-leader' },
        dataDir: '/d',
        timeoutMs: 30_000,
        restart: false,
      },
    );
    expect(options(['kill-leader']).timeoutMs).toBe(90_000);
    // A worker's pods tolerate its loss for 300 s before eviction.
    expect(options(['kill-worker', 'w1']).timeoutMs).toBe(420_000);
    expect(() => options(['kill-worker'])).toThrow('usage: flotilla chaos kill-worker NAME');
    expect(parseChaosOptions(['--help'])).toEqual({ help: true });
  });

  it.each([
    [[], /missing action/],
    [['kill-leader', 'm1'], /usage: flotilla chaos kill-leader$/],
    [['kill-master'], /usage: flotilla chaos kill-master NAME/],
    [['pause-leader', 'soon'], /"soon" is not a number of seconds/],
    [['partition', 'm1'], /usage: flotilla chaos partition NAME SECONDS/],
    [['reboot'], /unknown action "reboot"/],
    [['kill-leader', '--timeout', '0'], /--timeout/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseChaosOptions(argv)).toThrow(message);
    expect(() => parseChaosOptions(argv)).toThrow(ConfigError);
  });
});
