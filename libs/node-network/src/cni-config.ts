// The CNI configuration containerd uses to give each pod its interface: a bridge on the node
// (the pods' gateway, with hairpin so a pod can reach itself through a Service), addresses from
// the node's pod range with host-local IPAM, and portmap for hostPort.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cidrAddress, parseCidr } from '@flotilla/kube-proxy';

export const CNI_NETWORK_NAME = 'flotilla';
export const CNI_CONFLIST_FILE = '10-flotilla.conflist';
export const CNI_LOOPBACK_FILE = '99-loopback.conf';
/** The CNI spec version Debian's plugins (1.1) and containerd 1.6 both speak. */
export const CNI_VERSION = '1.0.0';

export interface CniOptions {
  /** The node's spec.podCIDRs (one per family). */
  podCIDRs: readonly string[];
  /** host-local's allocation records; one per node when several share a machine. */
  ipamDataDir: string;
  /** libcni keeps its cache in /var/lib/cni/results/<name>-...: one name per node when several
   *  nodes share a machine, so each can clean up its own. */
  networkName?: string;
  bridge?: string;
  mtu?: number;
}

export function renderCniConflist(options: CniOptions): string {
  const ranges = [];
  const routes = [];
  for (const text of options.podCIDRs) {
    const cidr = parseCidr(text);
    if (!cidr) throw new Error(`pod CIDR ${JSON.stringify(text)} is not a CIDR`);
    ranges.push([{ subnet: cidr.text, gateway: cidrAddress(cidr, 1) }]);
    routes.push({ dst: cidr.family === 'ipv4' ? '0.0.0.0/0' : '::/0' });
  }
  if (ranges.length === 0) throw new Error('the node has no pod CIDR yet');
  const conf = {
    cniVersion: CNI_VERSION,
    name: options.networkName ?? CNI_NETWORK_NAME,
    plugins: [
      {
        type: 'bridge',
        bridge: options.bridge ?? 'cni0',
        isGateway: true,
        // Our own nftables table masquerades what leaves the cluster; the plugin's iptables
        // rules would do it for everything leaving the pod range, Service traffic included.
        ipMasq: false,
        hairpinMode: true,
        ...(options.mtu ? { mtu: options.mtu } : {}),
        ipam: { type: 'host-local', ranges, routes, dataDir: options.ipamDataDir },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  };
  return JSON.stringify(conf, null, 2) + '\n';
}

export function renderLoopbackConf(): string {
  return JSON.stringify({ cniVersion: CNI_VERSION, name: 'lo', type: 'loopback' }, null, 2) + '\n';
}

/** Writes the files (atomically, and only when they changed). True when something was written. */
export function writeCniConfig(confDir: string, options: CniOptions): boolean {
  mkdirSync(confDir, { recursive: true });
  mkdirSync(options.ipamDataDir, { recursive: true });
  let wrote = writeIfChanged(join(confDir, CNI_CONFLIST_FILE), renderCniConflist(options));
  wrote = writeIfChanged(join(confDir, CNI_LOOPBACK_FILE), renderLoopbackConf()) || wrote;
  return wrote;
}

function writeIfChanged(path: string, content: string): boolean {
  try {
    if (readFileSync(path, 'utf8') === content) return false;
  } catch {
    // not there yet
  }
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
  return true;
}
