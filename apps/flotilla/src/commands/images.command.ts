import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseHostPort } from '@flotilla/process';
import type { CliContext } from './cli-context';

const USAGE = `Usage: flotilla images build --registry HOST:PORT [--cache-dir DIR]
       flotilla images load FILE --registry HOST:PORT [--name NAME]

Images for workers without internet. "build" makes the pause image and flotilla/demo-web offline
(from this machine's gcc and busybox-static) and pushes them to the registry. "load" pushes an
image from a docker-archive (docker save) or an OCI archive, as "kind load" does; the workers'
containerd resolves docker.io names there first, so --image=NAME works in the cluster.

Options:
  --registry HOST:PORT  the local registry the workers pull from (plain HTTP)
  --name NAME           the image's name when the archive has none, or to rename it
  --cache-dir DIR       where built images are kept (default ~/.cache/flotilla/images)
  -h, --help            show this help
`;

interface ImagesArgs {
  action: 'build' | 'load';
  file?: string;
  registry: string;
  name?: string;
  cacheDir: string;
}

export function parseImagesArgs(argv: readonly string[]): ImagesArgs | 'help' {
  const positional: string[] = [];
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return 'help';
    if (!a.startsWith('-')) {
      positional.push(a);
      continue;
    }
    const m = /^--(registry|name|cache-dir)(?:=(.*))?$/.exec(a);
    if (!m)
      throw new ConfigError(`unknown option ${JSON.stringify(a)} (see flotilla images --help)`);
    const value = m[2] ?? argv[++i];
    if (!value) throw new ConfigError(`--${m[1]}: missing value`);
    values[m[1]] = value;
  }
  const [action, file, ...extra] = positional;
  if (action !== 'build' && action !== 'load') {
    throw new ConfigError(
      action
        ? `unknown action ${JSON.stringify(action)} (build or load)`
        : 'missing action: build or load',
    );
  }
  if (action === 'load' && !file) throw new ConfigError('load: missing FILE');
  if ((action === 'build' && file) || extra.length > 0) {
    throw new ConfigError(
      `unexpected argument ${JSON.stringify(action === 'build' ? file : extra[0])}`,
    );
  }
  if (!values.registry) throw new ConfigError('--registry HOST:PORT is required');
  if (!parseHostPort(values.registry)) {
    throw new ConfigError(`--registry: ${JSON.stringify(values.registry)} is not host:port`);
  }
  return {
    action,
    file,
    registry: values.registry,
    name: values.name,
    cacheDir: values['cache-dir'] ?? join(homedir(), '.cache', 'flotilla', 'images'),
  };
}

export async function imagesCommand(argv: readonly string[], _context: CliContext): Promise<void> {
  const args = parseImagesArgs(argv);
  if (args === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  // Loaded here, not at the top: other commands should not pay for the image tooling.
  const images = await import('@flotilla/kubelet');
  if (args.action === 'build') {
    const pushed = await images.publishWorkerImages({
      cacheDir: args.cacheDir,
      registry: args.registry,
    });
    for (const p of pushed) process.stdout.write(`pushed ${args.registry}/${p}\n`);
    return;
  }
  try {
    const loaded = await images.loadImageArchive(args.file!, args.registry, args.name);
    for (const name of loaded) process.stdout.write(`loaded ${name}\n`);
  } catch (err) {
    if (err instanceof images.ImageLoadError) throw new ConfigError(err.message);
    throw err;
  }
}
