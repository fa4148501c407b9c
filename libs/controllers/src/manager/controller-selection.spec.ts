import { readSettings } from '@flotilla/process';
import { CONTROLLER_FACTORIES } from '../registry';
import { isControllerEnabled, parseControllerList } from './controller-selection';
import { parseGoDuration } from './duration';
import { controllerManagerOptions, readControllerManagerSettings } from './options';

describe('--controllers, as kube-controller-manager reads it', () => {
  const enabled = (list: string, name: string) =>
    isControllerEnabled(name, parseControllerList(list));

  it('* runs every controller that is on by default, and no other', () => {
    expect(enabled('*', 'replicaset-controller')).toBe(true);
    expect(enabled('*', 'garbage-collector-controller')).toBe(true);
    expect(enabled('*', 'bootstrap-signer-controller')).toBe(false);
  });

  it('names and aliases turn one on; -name turns one off; the first mention decides', () => {
    expect(enabled('*,-replicaset', 'replicaset-controller')).toBe(false);
    expect(enabled('*,-replicaset-controller', 'deployment-controller')).toBe(true);
    expect(enabled('deployment', 'deployment-controller')).toBe(true);
    expect(enabled('deployment', 'replicaset-controller')).toBe(false);
    expect(enabled('bootstrapsigner,*', 'bootstrap-signer-controller')).toBe(true);
    expect(enabled('-deployment,deployment,*', 'deployment-controller')).toBe(false);
  });

  it('refuses a name kube-controller-manager does not know', () => {
    expect(() => parseControllerList('*,-replicaz')).toThrow(
      '"replicaz" is not in the list of known controllers',
    );
  });
});

describe('the controller manager flags', () => {
  const specs = controllerManagerOptions(CONTROLLER_FACTORIES);
  const read = (argv: string[], env: Record<string, string> = {}) =>
    readControllerManagerSettings(readSettings(specs, argv, env), CONTROLLER_FACTORIES);

  it('offers --controllers, --disable-controller-manager and each controller flag', () => {
    expect(specs.map((s) => s.flag)).toEqual(
      expect.arrayContaining([
        'controllers',
        'disable-controller-manager',
        'concurrent-replicaset-syncs',
        'concurrent-deployment-syncs',
        'concurrent-gc-syncs',
      ]),
    );
  });

  it('reads them from flags and the environment', () => {
    const s = read(['--controllers', '*,-garbagecollector', '--concurrent-deployment-syncs=9'], {
      FLOTILLA_CONCURRENT_GC_SYNCS: '3',
    });
    expect(s.enabled).toBe(true);
    expect(s.controllers).toEqual(['*', '-garbage-collector-controller']);
    expect(Object.fromEntries(s.flags)).toEqual({
      'concurrent-deployment-syncs': '9',
      'concurrent-gc-syncs': '3',
    });
    expect(read(['--disable-controller-manager']).enabled).toBe(false);
  });

  it('names the flag in its errors', () => {
    expect(() => read(['--controllers', 'nope'])).toThrow(
      '--controllers: "nope" is not in the list of known controllers',
    );
    expect(() => read(['--concurrent-replicaset-syncs', '0'])).toThrow(
      '--concurrent-replicaset-syncs: "0" is not a whole number from 1 to 10000',
    );
  });
});

describe('Go durations', () => {
  it('reads what kube-controller-manager flags take', () => {
    expect(parseGoDuration('40s')).toBe(40_000);
    expect(parseGoDuration('1m30s')).toBe(90_000);
    expect(parseGoDuration('300ms')).toBe(300);
    expect(parseGoDuration('1.5h')).toBe(5_400_000);
    expect(parseGoDuration('0')).toBe(0);
    expect(() => parseGoDuration('40')).toThrow('time: invalid duration "40"');
    expect(() => parseGoDuration('s')).toThrow();
  });
});
