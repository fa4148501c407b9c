import type { LoggerService } from '@nestjs/common';
import type { JsonLogger, LogFields, LogLevel } from './json-logger';

// Nest announces every module and route at start-up; useful when debugging wiring, noise otherwise.
const STARTUP_CHATTER = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/**
 * Lets Nest's own messages (module init, routes, shutdown) come out as our JSON lines, so one
 * process writes one format. Nest passes the context (a class name) as the last extra argument,
 * and for errors a stack before it.
 */
export class NestLoggerAdapter implements LoggerService {
  constructor(private readonly logger: JsonLogger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  private write(level: LogLevel, message: unknown, params: unknown[]): void {
    const rest = params.filter((p) => p !== undefined && p !== null);
    const context =
      rest.length > 0 && typeof rest[rest.length - 1] === 'string'
        ? (rest.pop() as string)
        : undefined;
    const fields: LogFields = {};
    if (context) fields.context = context;
    if (rest.length === 1 && typeof rest[0] === 'string') fields.stack = rest[0];
    else if (rest.length > 0) fields.params = rest;
    let msg: string;
    if (message instanceof Error) {
      msg = message.message;
      fields.stack ??= message.stack;
    } else if (typeof message === 'string') {
      msg = message;
    } else {
      msg = 'nest';
      fields.value = message;
    }
    const demoted = level === 'info' && context !== undefined && STARTUP_CHATTER.has(context);
    this.logger.child('nest').log(demoted ? 'debug' : level, msg, fields);
  }
}
