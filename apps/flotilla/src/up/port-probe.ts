import { createServer } from 'node:net';

/**
 * The first port that cannot be bound on `host` right now, or undefined. Checked before any member
 * starts, so a clash is one clear line instead of three members failing in turn.
 */
export async function findBusyPort<T extends { port: number }>(
  host: string,
  ports: readonly T[],
): Promise<{ entry: T; code: string } | undefined> {
  for (const entry of ports) {
    const code = await tryBind(host, entry.port);
    if (code) return { entry, code };
  }
  return undefined;
}

function tryBind(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'EUNKNOWN'));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}
