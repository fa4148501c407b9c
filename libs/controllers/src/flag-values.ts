// Reading the manager's flags the way kube-controller-manager parses them: Go durations
// ("40s", "1m30s", "500ms"), numbers, integers and booleans, each with a default and a clear
// error naming the flag when the value makes no sense.

import { parseGoDurationMs } from '@flotilla/process';

/** A Go duration in milliseconds ("1m30s" → 90000), or undefined when it is not one or negative. */
export function parseDuration(text: string): number | undefined {
  try {
    const ms = parseGoDurationMs(text);
    return ms < 0 ? undefined : ms;
  } catch {
    return undefined;
  }
}

/** A duration as Go prints it, for messages ("40s", "1m30s", "250ms"). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  const rest = s - m * 60;
  return rest ? `${m}m${rest}s` : `${m}m0s`;
}

export class FlagError extends Error {}

/** Typed reads of the manager's flags (looked up by name, with or without the leading --). */
export class FlagValues {
  constructor(private readonly flags: ReadonlyMap<string, string>) {}

  private raw(name: string): string | undefined {
    return this.flags.get(name) ?? this.flags.get(`--${name}`);
  }

  private fail(name: string, value: string, want: string): never {
    throw new FlagError(`--${name}: ${JSON.stringify(value)} is not ${want}`);
  }

  /** A duration flag in milliseconds; at least `minMs`. */
  duration(name: string, defaultMs: number, minMs = 0): number {
    const text = this.raw(name);
    if (text === undefined) return defaultMs;
    const ms = parseDuration(text);
    if (ms === undefined) this.fail(name, text, 'a duration (e.g. 40s, 1m30s, 500ms)');
    if (ms < minMs) this.fail(name, text, `a duration of at least ${formatDuration(minMs)}`);
    return ms;
  }

  number(name: string, defaultValue: number, min = -Infinity, max = Infinity): number {
    const text = this.raw(name);
    if (text === undefined) return defaultValue;
    const n = text.trim() === '' ? NaN : Number(text);
    if (!Number.isFinite(n) || n < min || n > max) {
      const range = max === Infinity ? `a number ≥ ${min}` : `a number between ${min} and ${max}`;
      this.fail(name, text, range);
    }
    return n;
  }

  integer(name: string, defaultValue: number, min = -Infinity, max = Infinity): number {
    const n = this.number(name, defaultValue, min, max);
    if (!Number.isInteger(n)) this.fail(name, String(this.raw(name)), 'a whole number');
    return n;
  }

  boolean(name: string, defaultValue: boolean): boolean {
    const text = this.raw(name);
    if (text === undefined) return defaultValue;
    const t = text.trim().toLowerCase();
    if (t === 'true' || t === '1' || t === '') return true;
    if (t === 'false' || t === '0') return false;
    return this.fail(name, text, 'true or false');
  }

  string(name: string, defaultValue: string): string {
    return this.raw(name) ?? defaultValue;
  }
}
