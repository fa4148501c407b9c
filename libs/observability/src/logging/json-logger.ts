export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFields = Record<string, unknown>;

/** Where finished log lines go; one call per line, without the trailing newline. */
export type LogSink = (line: string) => void;

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export interface JsonLoggerOptions {
  node: string;
  component: string;
  level?: LogLevel;
  sink?: LogSink;
  clock?: () => Date;
}

// The reserved keys come first in every line, and a field cannot overwrite them, so a reader
// (human or jq) always finds time/level/node/component/msg where it expects them.
const RESERVED = new Set(['time', 'level', 'node', 'component', 'msg']);

export function formatLogLine(
  time: Date,
  level: LogLevel,
  node: string,
  component: string,
  msg: string,
  fields: LogFields = {},
): string {
  const record: Record<string, unknown> = { time: time.toISOString(), level, node, component, msg };
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    record[RESERVED.has(key) ? `field.${key}` : key] =
      value instanceof Error ? { name: value.name, message: value.message } : value;
  }
  return safeStringify(record);
}

function safeStringify(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record, (_key, value: unknown) =>
      typeof value === 'bigint' ? value.toString() : value,
    );
  } catch {
    // A circular or otherwise unserialisable field must not lose the message itself.
    const { time, level, node, component, msg } = record;
    return JSON.stringify({ time, level, node, component, msg, fieldsError: 'unserialisable' });
  }
}

/** One JSON object per line: time, level, node, component, msg, then the caller's fields. */
export class JsonLogger {
  readonly node: string;
  readonly component: string;
  private readonly threshold: number;
  private readonly sink: LogSink;
  private readonly clock: () => Date;

  constructor(private readonly options: JsonLoggerOptions) {
    this.node = options.node;
    this.component = options.component;
    this.threshold = LEVEL_RANK[options.level ?? 'info'];
    this.sink = options.sink ?? ((line) => process.stdout.write(line + '\n'));
    this.clock = options.clock ?? (() => new Date());
  }

  /** The same node, sink and level, for a named part of the process (raft, store, http...). */
  child(component: string): JsonLogger {
    return new JsonLogger({ ...this.options, component });
  }

  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= this.threshold;
  }

  log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    this.sink(formatLogLine(this.clock(), level, this.node, this.component, msg, fields));
  }

  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }
}

/** A sink that keeps lines in memory; for tests and for silencing in-process apps. */
export function memorySink(): LogSink & { lines: string[] } {
  const lines: string[] = [];
  const sink = (line: string) => {
    lines.push(line);
  };
  return Object.assign(sink, { lines });
}
