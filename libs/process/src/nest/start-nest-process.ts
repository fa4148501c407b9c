import type { DynamicModule } from '@nestjs/common';
import { HealthRegistry, JsonLogger, LogLevel, LogSink } from '@flotilla/observability';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { settingError } from '../config-error';
import { ensureWritableDir } from '../data-dir';
import { RunningApp, ServeOptions, serveNestApp } from './serve-nest-app';

/** What every Flotilla server process (master or worker) has in common. */
export interface ProcessIdentity {
  node: string;
  component: string;
  logLevel: LogLevel;
  dataDir: string;
  listenHost: string;
  apiPort: number;
  /** PEM files for HTTPS on the API port (both or neither). */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** With it, clients are asked for a certificate, verified against this CA (not required). */
  tlsClientCaFile?: string;
}

export interface StartOptions {
  /** Where JSON log lines go (stdout by default). */
  logSink?: LogSink;
  /** True in main.ts: own the signals and the exit code. False when a test boots it in-process. */
  ownProcess?: boolean;
  /** Pre-built registry, so a test can register extra checks. */
  health?: HealthRegistry;
  /** Runs after the module is built and before the app listens. */
  configure?: ServeOptions['configure'];
  maxHeaderBytes?: number;
}

export interface StartedProcess extends RunningApp {
  logger: JsonLogger;
}

/** Data directory first (fail before any socket opens), then the logger, then the Nest app. */
export async function startNestProcess(
  identity: ProcessIdentity,
  buildModule: (logger: JsonLogger, health: HealthRegistry) => DynamicModule,
  options: StartOptions = {},
): Promise<StartedProcess> {
  ensureWritableDir(identity.dataDir, '--data-dir');
  const https = readTlsFiles(identity);
  const logger = new JsonLogger({
    node: identity.node,
    component: identity.component,
    level: identity.logLevel,
    sink: options.logSink,
  });
  const running = await serveNestApp({
    module: buildModule(logger, options.health ?? new HealthRegistry()),
    logger,
    host: identity.listenHost,
    port: identity.apiPort,
    hostSource: '--listen-host',
    portSource: '--api-port',
    ownProcess: options.ownProcess ?? false,
    configure: options.configure,
    maxHeaderBytes: options.maxHeaderBytes,
    https,
  });
  return { ...running, logger };
}

function readTlsFiles(identity: ProcessIdentity): ServeOptions['https'] {
  if (!identity.tlsCertFile || !identity.tlsKeyFile) return undefined;
  const read = (file: string, flag: string) => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw settingError(
        flag,
        `cannot read ${JSON.stringify(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  };
  const cert = read(identity.tlsCertFile, '--tls-cert-file');
  const key = read(identity.tlsKeyFile, '--tls-private-key-file');
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    throw settingError(
      '--tls-private-key-file',
      `does not match --tls-cert-file or is not PEM (${(e as Error).message})`,
    );
  }
  if (!identity.tlsClientCaFile) return { key, cert };
  const ca = read(identity.tlsClientCaFile, '--client-ca-file');
  // Asked, not required: tokens and the anonymous health checks come without a certificate;
  // the API server reads whether the one presented verified.
  return { key, cert, ca, requestCert: true, rejectUnauthorized: false };
}
