import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { JsonLogger, NestLoggerAdapter } from '@flotilla/observability';
import { ListenTarget, explainListenError } from '../listen-error';

export interface ServeOptions extends ListenTarget {
  module: DynamicModule;
  logger: JsonLogger;
  /**
   * Own SIGTERM/SIGINT and exit 0 after a graceful close; also exit when a supervising parent
   * (flotilla up, through an IPC channel) goes away. Off for apps booted inside tests.
   */
  ownProcess: boolean;
  /** Serve HTTPS with this key and certificate (PEM); plain HTTP without. */
  https?: {
    key: Buffer;
    cert: Buffer;
    /** Client certificates are asked for and verified against this CA. */
    ca?: Buffer;
    requestCert?: boolean;
    rejectUnauthorized?: boolean;
  };
  /** Runs after the module is built and before the app listens (adapters, extra servers). */
  configure?: (app: NestFastifyApplication) => void | Promise<void>;
  /** Largest request head accepted (Node's default is 16 KiB; over it the answer is 431). */
  maxHeaderBytes?: number;
}

export interface RunningApp {
  app: NestFastifyApplication;
  /** The bound port (differs from the requested one when that was 0). */
  port: number;
}

export async function serveNestApp(options: ServeOptions): Promise<RunningApp> {
  const app = await NestFactory.create<NestFastifyApplication>(
    options.module,
    new FastifyAdapter(adapterOptions(options)),
    { logger: new NestLoggerAdapter(options.logger), abortOnError: false },
  );
  if (options.ownProcess) app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  try {
    await options.configure?.(app);
    await app.listen(options.port, options.host);
  } catch (err) {
    await app.close().catch(() => undefined);
    throw explainListenError(err, options) ?? err;
  }
  const port = (app.getHttpServer().address() as AddressInfo).port;
  if (options.ownProcess) exitWithSupervisor(app, options.logger);
  return { app, port };
}

function adapterOptions(options: ServeOptions): ConstructorParameters<typeof FastifyAdapter>[0] {
  const head = options.maxHeaderBytes ? { maxHeaderSize: options.maxHeaderBytes } : {};
  if (options.https) return { https: { ...options.https, ...head } };
  return options.maxHeaderBytes ? { http: head } : undefined;
}

/**
 * A member started by `flotilla up` has an IPC channel to it; when that closes (the supervisor
 * died, even by SIGKILL) the member shuts down instead of living on as an orphan.
 */
function exitWithSupervisor(app: NestFastifyApplication, logger: JsonLogger): void {
  if (!process.send) return;
  process.channel?.unref();
  process.once('disconnect', () => {
    logger.warn('supervisor went away; shutting down');
    void app.close().finally(() => process.exit(0));
  });
}
