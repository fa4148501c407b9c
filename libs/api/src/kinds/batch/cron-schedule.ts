// CronJob schedules as Kubernetes reads them (robfig/cron ParseStandard): five fields, the
// @yearly/@monthly/@weekly/@daily/@hourly descriptors and @every <duration>, in spec.timeZone or
// the controller's zone. Field syntax and next-time arithmetic are croner's, in legacy (Vixie) mode:
// a day-of-month and a day-of-week both restricted match either, as cron does.
import { Cron } from 'croner';

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export interface CronSchedule {
  /** The first activation strictly after `after`. */
  next(after: Date): Date | undefined;
}

const GO_DURATION = /^(?:(\d+(?:\.\d+)?)(h|m|s|ms))+$/;

function everyMillis(text: string): number | undefined {
  if (!GO_DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    total +=
      Number(n) * { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[unit as 'h' | 'm' | 's' | 'ms'];
  }
  return total;
}

/** Whether `zone` is an IANA time zone this runtime knows. */
export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Parses a schedule; throws an Error whose message is what validation reports. */
export function parseCronSchedule(text: string, timeZone?: string): CronSchedule {
  const spec = text.trim();
  if (spec === '') throw new Error('empty spec string');
  if (/^(CRON_)?TZ=/.test(spec))
    throw new Error('cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  if (spec.startsWith('@every ')) {
    const ms = everyMillis(spec.slice('@every '.length).trim());
    if (ms === undefined) throw new Error(`failed to parse duration ${spec}`);
    // robfig rounds @every below a second up to a second, and activates at whole seconds.
    const step = Math.max(1000, ms - (ms % 1000));
    return { next: (after) => new Date(Math.floor(after.getTime() / 1000) * 1000 + step) };
  }
  let expr = spec;
  if (spec.startsWith('@')) {
    expr = DESCRIPTORS[spec];
    if (!expr) throw new Error(`unrecognized descriptor: ${spec}`);
  }
  const fields = expr.split(/\s+/);
  if (fields.length !== 5)
    throw new Error(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  if (fields.some((f) => /[LW#]/i.test(f.replace(/[a-z]{3}/gi, '')) || f.includes('?')))
    throw new Error(`unsupported characters in ${JSON.stringify(spec)}`);
  let cron: Cron;
  try {
    cron = new Cron(expr, { timezone: timeZone, paused: true, legacyMode: true });
  } catch (err) {
    throw new Error((err as Error).message.replace(/^CronPattern: /, ''));
  }
  return { next: (after) => cron.nextRun(after) ?? undefined };
}
