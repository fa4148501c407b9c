import { isIP } from 'node:net';
import { settingError } from './config-error';
import type { Setting } from './args';

// Converters from a raw Setting to a typed value; each error names the flag or variable it came from.

export function portValue(setting: Setting): number {
  const text = setting.value.trim();
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw settingError(
      setting.source,
      `${JSON.stringify(setting.value)} is not a port number (1-65535)`,
    );
  }
  return port;
}

export function integerValue(setting: Setting, min: number, max: number): number {
  const text = setting.value.trim();
  const n = /^-?\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) {
    throw settingError(
      setting.source,
      `${JSON.stringify(setting.value)} is not a whole number from ${min} to ${max}`,
    );
  }
  return n;
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A DNS label: usable as a Kubernetes object name, a metrics label and a directory name. */
export function isValidName(name: string): boolean {
  return NAME.test(name);
}

export function nameValue(setting: Setting): string {
  if (!isValidName(setting.value)) {
    throw settingError(
      setting.source,
      `${JSON.stringify(setting.value)} is not a valid name (lowercase letters, digits and '-', at most 63)`,
    );
  }
  return setting.value;
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function isValidHost(host: string): boolean {
  return isIP(host) !== 0 || HOSTNAME.test(host);
}

export function hostValue(setting: Setting): string {
  const host = setting.value.trim();
  if (!isValidHost(host)) {
    throw settingError(
      setting.source,
      `${JSON.stringify(setting.value)} is not an IP address or host name`,
    );
  }
  return host;
}

export function oneOfValue<T extends string>(setting: Setting, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(setting.value)) {
    throw settingError(
      setting.source,
      `${JSON.stringify(setting.value)} is not one of ${allowed.join(', ')}`,
    );
  }
  return setting.value as T;
}

/** `http://10.0.0.1:6443,https://m2:6443` -> normalised URLs; http and https only. */
export function urlListValue(setting: Setting): string[] {
  const items = setting.value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw settingError(setting.source, 'empty list');
  return items.map((item) => {
    let url: URL | undefined;
    try {
      url = new URL(item);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
      throw settingError(setting.source, `${JSON.stringify(item)} is not an http(s) URL`);
    }
    return url.origin;
  });
}

/** `host:port` or `[v6]:port`. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const host = match[1] ?? match[2];
  const port = Number(match[3]);
  if (!isValidHost(host) || port < 1 || port > 65535) return undefined;
  if (match[1] !== undefined && isIP(host) !== 6) return undefined;
  return { host, port };
}

export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A value checked by a parser that throws an Error naming the problem: the message gains the flag. */
export function parsedValue<T>(setting: Setting, parse: (text: string) => T): T {
  try {
    return parse(setting.value);
  } catch (e) {
    throw settingError(setting.source, (e as Error).message);
  }
}

/**
 * True for an address that never leaves this machine: `localhost`, 127.0.0.0/8, ::1. A host name
 * other than localhost counts as reachable from elsewhere (it is not resolved here).
 */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

const DURATION_UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration as Kubernetes flags take them ("2m", "1h30m", "500ms", "0"), in milliseconds. */
export function parseGoDurationMs(text: string): number {
  const t = text.trim();
  if (t === '0') return 0;
  const sign = t.startsWith('-') ? -1 : 1;
  let at = t.startsWith('-') || t.startsWith('+') ? 1 : 0;
  if (at >= t.length)
    throw new Error(`${JSON.stringify(text)} is not a duration (such as 90s, 2m, 1h30m)`);
  const term = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  while (at < t.length) {
    term.lastIndex = at;
    const m = term.exec(t);
    if (!m) throw new Error(`${JSON.stringify(text)} is not a duration (such as 90s, 2m, 1h30m)`);
    total += Number(m[1]) * DURATION_UNIT_MS[m[2]];
    at = term.lastIndex;
  }
  return sign * total;
}

export function durationValue(setting: Setting): number {
  return parsedValue(setting, parseGoDurationMs);
}
