import { LOG_LEVELS, LogLevel } from '@flotilla/observability';
import { OptionSpec, Setting, optionalValue } from './args';
import { oneOfValue } from './values';

/** The options every Flotilla server process takes after its own. */
export const COMMON_SERVER_OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'log-level',
    env: 'FLOTILLA_LOG_LEVEL',
    valueName: 'LEVEL',
    description: LOG_LEVELS.join(' | '),
    defaultText: 'info',
  },
  { flag: 'help', short: 'h', boolean: true, description: 'show this help' },
];

export function logLevelValue(setting: Setting | undefined): LogLevel {
  return optionalValue(setting, (s) => oneOfValue(s, LOG_LEVELS)) ?? 'info';
}
