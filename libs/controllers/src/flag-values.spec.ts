import { FlagValues, formatDuration, parseDuration } from './flag-values';

describe('flag values', () => {
  it('parses Go durations', () => {
    expect(parseDuration('40s')).toBe(40_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('0')).toBe(0);
    for (const bad of ['', '40', 's', '1x', '-1s', '1s ms'])
      expect(parseDuration(bad)).toBeUndefined();
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(250)).toBe('250ms');
  });

  it('reads flags by name, with or without --, and names the flag in errors', () => {
    const f = new FlagValues(
      new Map([
        ['node-monitor-grace-period', '5s'],
        ['--node-eviction-rate', '0.5'],
        ['large-cluster-size-threshold', '2.5'],
        ['allocate-node-cidrs', 'nope'],
        ['node-monitor-period', 'soon'],
      ]),
    );
    expect(f.duration('node-monitor-grace-period', 20_000)).toBe(5000);
    expect(f.duration('pod-eviction-timeout', 1234)).toBe(1234);
    expect(f.number('node-eviction-rate', 0.1, 0)).toBe(0.5);
    expect(() => f.integer('large-cluster-size-threshold', 50, 0)).toThrow(
      '--large-cluster-size-threshold: "2.5" is not a whole number',
    );
    expect(() => f.boolean('allocate-node-cidrs', true)).toThrow(
      '--allocate-node-cidrs: "nope" is not true or false',
    );
    expect(() => f.duration('node-monitor-period', 1000)).toThrow(
      '--node-monitor-period: "soon" is not a duration (e.g. 40s, 1m30s, 500ms)',
    );
    expect(() => f.duration('node-monitor-grace-period', 1, 10_000)).toThrow(
      'is not a duration of at least 10s',
    );
  });
});
