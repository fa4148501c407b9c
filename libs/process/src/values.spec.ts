import { isLoopbackHost } from './values';

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
