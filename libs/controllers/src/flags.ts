// Reading and checking the values of ControllerFlags: whole numbers and Go durations, as
// kube-controller-manager's flags take them.
import type { ControllerFlag } from './controller';
import { parseGoDuration } from './manager/duration';

/** A flag whose value is a whole number from `min` to `max`. */
export function integerFlag(
  flag: string,
  defaultValue: number,
  description: string,
  min = 1,
  max = 10_000,
): ControllerFlag {
  return {
    flag,
    valueName: 'N',
    description,
    default: String(defaultValue),
    check(value) {
      readInteger(value, min, max);
    },
  };
}

/** A flag whose value is a Go duration ("40s", "500ms") of at least `minMs`. */
export function durationFlag(
  flag: string,
  defaultValue: string,
  description: string,
  minMs = 0,
): ControllerFlag {
  return {
    flag,
    valueName: 'DURATION',
    description,
    default: defaultValue,
    check(value) {
      const ms = parseGoDuration(value);
      if (ms < minMs) throw new Error(`${JSON.stringify(value)} is shorter than ${minMs} ms`);
    },
  };
}

function readInteger(value: string, min: number, max: number): number {
  const n = /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!(n >= min && n <= max))
    throw new Error(`${JSON.stringify(value)} is not a whole number from ${min} to ${max}`);
  return n;
}

/** The whole-number value of `flag` in `flags` (the manager always fills in the default). */
export function readIntegerFlag(flags: ReadonlyMap<string, string>, flag: ControllerFlag): number {
  return readInteger(flags.get(flag.flag) ?? flag.default, -Infinity, Infinity);
}

/** The value of a duration `flag`, in milliseconds. */
export function readDurationFlag(flags: ReadonlyMap<string, string>, flag: ControllerFlag): number {
  return parseGoDuration(flags.get(flag.flag) ?? flag.default);
}
