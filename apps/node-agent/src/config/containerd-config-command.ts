// `node-agent containerd-config`: prints the containerd configuration a worker runs with, the one
// the on-machine lab writes (libs/kubelet/src/host/containerd-config.ts). The worker container's
// entrypoint uses it, so a containerized worker and a lab worker cannot drift apart.
import { SANDBOX_IMAGE, renderContainerdConfig } from '@flotilla/kubelet';
import {
  ConfigError,
  OptionSpec,
  formatUsage,
  parseHostPort,
  readSettings,
  settingError,
} from '@flotilla/process';

export const CONTAINERD_CONFIG_COMMAND = 'containerd-config';

const OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'dir',
    env: 'FLOTILLA_CONTAINERD_DIR',
    valueName: 'DIR',
    description: "containerd's root, state, socket and CNI configuration live under DIR",
  },
  {
    flag: 'registry',
    env: 'FLOTILLA_REGISTRY',
    valueName: 'HOST:PORT',
    description: 'the plain-HTTP registry that mirrors docker.io (it holds the pause image)',
  },
  {
    flag: 'sandbox-image',
    env: 'FLOTILLA_SANDBOX_IMAGE',
    valueName: 'IMAGE',
    description: 'the pod sandbox image',
    defaultText: SANDBOX_IMAGE,
  },
  { flag: 'help', short: 'h', boolean: true, description: 'show this help' },
];

export function containerdConfigUsage(): string {
  return formatUsage(
    `${CONTAINERD_CONFIG_COMMAND} --dir DIR --registry HOST:PORT`,
    "Prints the worker's containerd configuration (TOML) on standard output.",
    OPTIONS,
  );
}

/** The TOML for argv/env, or 'help'; bad input is a ConfigError naming the flag. */
export function containerdConfigCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): string | 'help' {
  const settings = readSettings(OPTIONS, argv, env);
  if (settings.has('help')) return 'help';
  const dir = settings.get('dir');
  const registry = settings.get('registry');
  if (!dir) throw new ConfigError('--dir is required (or FLOTILLA_CONTAINERD_DIR)');
  if (!registry) throw new ConfigError('--registry is required (or FLOTILLA_REGISTRY)');
  if (!dir.value.startsWith('/')) throw settingError(dir.source, 'must be an absolute path');
  if (!parseHostPort(registry.value)) {
    throw settingError(registry.source, `${JSON.stringify(registry.value)} is not HOST:PORT`);
  }
  return renderContainerdConfig({
    dir: dir.value.replace(/\/+$/, ''),
    registry: registry.value.trim(),
    sandboxImage: settings.get('sandbox-image')?.value ?? SANDBOX_IMAGE,
  });
}
