import { ConfigError, settingError } from './config-error';

export interface OptionSpec {
  /** The long flag without dashes: `api-port`. */
  flag: string;
  /** The environment variable that sets it when the flag is absent. */
  env?: string;
  /** A switch takes no value (`--help`). */
  boolean?: boolean;
  /** One-letter alias for a switch: `h` for `-h`. */
  short?: string;
  /** For --help: the placeholder, the sentence, the default. */
  valueName?: string;
  description: string;
  defaultText?: string;
}

/** A raw value and where it came from, so later validation can name the source in its error. */
export interface Setting {
  value: string;
  source: string;
}

export type Settings = ReadonlyMap<string, Setting>;

/**
 * Reads `--flag value`, `--flag=value` and switches from argv, then fills the rest from the
 * environment: flags win. Empty environment variables count as unset. Anything unrecognised is an
 * error, never ignored: a typo must not silently fall back to a default.
 */
export function readSettings(
  specs: readonly OptionSpec[],
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Settings {
  const byFlag = new Map(specs.map((s) => [s.flag, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const settings = new Map<string, Setting>();

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const flag = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
      spec = byFlag.get(flag);
      if (!spec) throw new ConfigError(`unknown flag --${flag} (see --help)`);
    } else if (/^-[A-Za-z]$/.test(arg)) {
      spec = byShort.get(arg.slice(1));
      if (!spec) throw new ConfigError(`unknown flag ${arg} (see --help)`);
    } else {
      throw new ConfigError(`unexpected argument ${JSON.stringify(arg)} (see --help)`);
    }
    const source = `--${spec.flag}`;
    if (settings.has(spec.flag)) throw settingError(source, 'given more than once');
    let value: string;
    if (spec.boolean) {
      if (inline !== undefined) throw settingError(source, 'takes no value');
      value = 'true';
    } else if (inline !== undefined) {
      value = inline;
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw settingError(source, 'missing value');
      value = next;
      i++;
    }
    if (!spec.boolean && value.trim() === '') throw settingError(source, 'empty value');
    settings.set(spec.flag, { value, source });
  }

  for (const spec of specs) {
    if (settings.has(spec.flag) || !spec.env) continue;
    const value = env[spec.env];
    if (value !== undefined && value.trim() !== '') {
      settings.set(spec.flag, { value: spec.boolean ? 'true' : value, source: spec.env });
    }
  }
  return settings;
}

/** The --help text, generated from the same specs the parser uses so the two cannot drift. */
export function formatUsage(usageLine: string, summary: string, specs: readonly OptionSpec[]) {
  const left = specs.map((s) => {
    const short = s.short ? `-${s.short}, ` : '';
    return `  ${short}--${s.flag}${s.boolean ? '' : ` ${s.valueName ?? 'VALUE'}`}`;
  });
  const width = Math.max(...left.map((l) => l.length)) + 2;
  const rows = specs.map((s, i) => {
    const extras = [
      s.env ? `env ${s.env}` : undefined,
      s.defaultText ? `default ${s.defaultText}` : undefined,
    ].filter(Boolean);
    const tail = extras.length > 0 ? ` (${extras.join(', ')})` : '';
    return `${left[i].padEnd(width)}${s.description}${tail}`;
  });
  return `Usage: ${usageLine}\n\n${summary}\n\nOptions:\n${rows.join('\n')}\n`;
}

/** Process facts that defaults depend on; passed in so config parsing stays pure and testable. */
export interface ConfigContext {
  cwd: string;
  hostname: string;
}

export type ParsedCommandLine<T> = { help: true } | { help: false; config: T };

/** Converts a setting if present: `optionalValue(settings.get('api-port'), portValue) ?? 6443`. */
export function optionalValue<T>(
  setting: Setting | undefined,
  convert: (s: Setting) => T,
): T | undefined {
  return setting === undefined ? undefined : convert(setting);
}
