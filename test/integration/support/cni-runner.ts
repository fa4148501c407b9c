// What containerd does with a CNI conflist when a pod starts, for tests without containerd: run
// each plugin in turn (inside the worker's namespace, which the plugins treat as the host), each
// given the previous one's result.
import { execFileSync } from 'node:child_process';

export const CNI_BIN_DIR = '/usr/lib/cni';

export interface CniResult {
  ips?: { address: string; gateway?: string }[];
  interfaces?: { name: string }[];
}

export function cniAdd(
  workerNetns: string,
  podNetns: string,
  containerId: string,
  conflist: string,
): CniResult {
  const list = JSON.parse(conflist) as {
    cniVersion: string;
    name: string;
    plugins: Record<string, unknown>[];
  };
  let prev: unknown;
  for (const plugin of list.plugins) {
    const conf: Record<string, unknown> = {
      cniVersion: list.cniVersion,
      name: list.name,
      ...plugin,
    };
    if (prev !== undefined) conf.prevResult = prev;
    if ((plugin.capabilities as Record<string, boolean> | undefined)?.portMappings) {
      conf.runtimeConfig = { portMappings: [] };
    }
    const out = execFileSync(
      'nsenter',
      [`--net=/var/run/netns/${workerNetns}`, `${CNI_BIN_DIR}/${plugin.type as string}`],
      {
        input: JSON.stringify(conf),
        env: {
          PATH: process.env.PATH,
          CNI_COMMAND: 'ADD',
          CNI_CONTAINERID: containerId,
          CNI_NETNS: `/var/run/netns/${podNetns}`,
          CNI_IFNAME: 'eth0',
          CNI_PATH: CNI_BIN_DIR,
        },
        encoding: 'utf8',
      },
    );
    prev = JSON.parse(out);
  }
  return prev as CniResult;
}
