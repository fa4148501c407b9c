import { durationValue, isLoopbackHost, parseGoDurationMs } from './values';

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', 'm1.localhost', '::1', '[::1]'])(
    '%s stays on this machine',
    (host) => expect(isLoopbackHost(host)).toBe(true),
  );

  it.each([
    '0.0.0.0',
    '::',
    '10.0.0.1',
    '128.0.0.1',
    'm1',
    'example.com',
    '::2',
    'localhost.example',
  ])('%s may be reached from elsewhere', (host) => expect(isLoopbackHost(host)).toBe(false));
});

describe('Go durations', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['2m', 120_000],
    ['2m0s', 120_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['500ms', 500],
    ['-1m', -60_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDurationMs(text)).toBe(ms);
  });

  it.each(['', '2', 'm', '2x', '1m 2s', '-'])('rejects %j naming the flag', (text) => {
    expect(() => durationValue({ value: text, source: '--some-age' })).toThrow(/--some-age/);
  });
});
