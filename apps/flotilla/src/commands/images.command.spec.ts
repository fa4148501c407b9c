import { ConfigError } from '@flotilla/process';
import { parseImagesArgs } from './images.command';

describe('flotilla images arguments', () => {
  it('reads build and load', () => {
    expect(
      parseImagesArgs(['build', '--registry', '10.231.0.254:5000', '--cache-dir', '/c']),
    ).toEqual({
      action: 'build',
      file: undefined,
      registry: '10.231.0.254:5000',
      name: undefined,
      cacheDir: '/c',
    });
    expect(
      parseImagesArgs(['load', 'app.tar', '--registry=r:5000', '--name', 'me/app:1']),
    ).toMatchObject({
      action: 'load',
      file: 'app.tar',
      registry: 'r:5000',
      name: 'me/app:1',
    });
    expect(parseImagesArgs(['load', '-h'])).toBe('help');
  });

  it.each([
    [[], 'missing action: build or load'],
    [['push'], 'unknown action "push" (build or load)'],
    [['load', '--registry', 'r:1'], 'load: missing FILE'],
    [['load', 'x.tar'], '--registry HOST:PORT is required'],
    [['load', 'x.tar', '--registry', 'nope'], '--registry: "nope" is not host:port'],
    [['build', 'x', '--registry', 'r:1'], 'unexpected argument "x"'],
    [['build', '--force'], 'unknown option "--force" (see flotilla images --help)'],
  ])('%j -> %s', (argv, message) => {
    expect(() => parseImagesArgs(argv)).toThrow(new ConfigError(message));
  });
});
