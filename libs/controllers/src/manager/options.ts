// The controller manager's part of a master's command line: `--controllers` as
// kube-controller-manager reads it, a switch to leave it off, and every flag the controllers
// declare (--concurrent-deployment-syncs, ...), each also settable as FLOTILLA_<FLAG>.
import { settingError, type OptionSpec, type Settings } from '@flotilla/process';
import type { ControllerFactory } from '../controller';
import { DEFAULT_CONTROLLERS, parseControllerList } from './controller-selection';

export interface ControllerManagerSettings {
  /** False with --disable-controller-manager. */
  enabled: boolean;
  /** `--controllers`, parsed into canonical names. */
  controllers: string[];
  /** The controllers' flags that were given, checked. */
  flags: ReadonlyMap<string, string>;
}

export const CONTROLLERS_FLAG = 'controllers';
export const DISABLE_CONTROLLER_MANAGER_FLAG = 'disable-controller-manager';

const envOf = (flag: string) => `FLOTILLA_${flag.toUpperCase().replace(/-/g, '_')}`;

/** The option specs, for the master's parser and its --help. */
export function controllerManagerOptions(factories: readonly ControllerFactory[]): OptionSpec[] {
  const specs: OptionSpec[] = [
    {
      flag: CONTROLLERS_FLAG,
      env: envOf(CONTROLLERS_FLAG),
      valueName: 'LIST',
      description:
        "controllers to run: '*' all on by default, 'name' one more, '-name' one less (kube-controller-manager's names or aliases)",
      defaultText: DEFAULT_CONTROLLERS.join(','),
    },
    {
      flag: DISABLE_CONTROLLER_MANAGER_FLAG,
      env: envOf(DISABLE_CONTROLLER_MANAGER_FLAG),
      boolean: true,
      description: 'run no controller manager in this master',
    },
  ];
  const seen = new Set(specs.map((s) => s.flag));
  for (const f of factories) {
    for (const flag of f.flags ?? []) {
      if (seen.has(flag.flag)) continue;
      seen.add(flag.flag);
      specs.push({
        flag: flag.flag,
        env: envOf(flag.flag),
        valueName: flag.valueName,
        description: flag.description,
        defaultText: flag.default,
      });
    }
  }
  return specs;
}

/** Reads and checks the controller manager's settings; errors name the flag or variable. */
export function readControllerManagerSettings(
  settings: Settings,
  factories: readonly ControllerFactory[],
): ControllerManagerSettings {
  const list = settings.get(CONTROLLERS_FLAG);
  let controllers = [...DEFAULT_CONTROLLERS];
  if (list) {
    try {
      controllers = parseControllerList(list.value);
    } catch (err) {
      throw settingError(list.source, (err as Error).message);
    }
  }
  const flags = new Map<string, string>();
  for (const f of factories) {
    for (const flag of f.flags ?? []) {
      const given = settings.get(flag.flag);
      if (!given || flags.has(flag.flag)) continue;
      try {
        flag.check?.(given.value);
      } catch (err) {
        throw settingError(given.source, (err as Error).message);
      }
      flags.set(flag.flag, given.value.trim());
    }
  }
  return { enabled: !settings.has(DISABLE_CONTROLLER_MANAGER_FLAG), controllers, flags };
}
