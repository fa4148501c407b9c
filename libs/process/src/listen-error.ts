import { settingError } from './config-error';
import { formatHostPort } from './values';

export interface ListenTarget {
  host: string;
  port: number;
  /** The flag or variable each part came from, for the error line. */
  hostSource: string;
  portSource: string;
}

/** Turns the socket errors an operator can cause into a ConfigError naming the flag; else undefined. */
export function explainListenError(err: unknown, target: ListenTarget): Error | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = formatHostPort(target.host, target.port);
  switch (code) {
    case 'EADDRINUSE':
      return settingError(target.portSource, `${where} is already in use`);
    case 'EACCES':
      return settingError(target.portSource, `permission denied to listen on ${where}`);
    case 'EADDRNOTAVAIL':
      return settingError(target.hostSource, `${target.host} is not an address of this machine`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return settingError(target.hostSource, `cannot resolve ${JSON.stringify(target.host)}`);
    default:
      return undefined;
  }
}

/**
 * Binds and releases a port to learn early that it is usable, for listeners opened by libraries
 * whose own errors do not say which flag is at fault. Throws the same one-line ConfigError.
 */
export async function assertCanListen(target: ListenTarget): Promise<void> {
  const { createServer } = await import('node:net');
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (err) => reject(explainListenError(err, target) ?? err));
    server.listen({ host: target.host, port: target.port, exclusive: true }, () =>
      server.close(() => resolve()),
    );
  });
}
