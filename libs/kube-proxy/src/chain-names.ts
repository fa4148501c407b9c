// Names of the per-Service objects in the table. A name carries a short hash of itself first, so
// two names that differ only at the end (endpoints 10.0.0.1 and 10.0.0.10) are easy to tell apart
// and stay unique when cut to nftables' length limit; the readable part says what it is for.
import { createHash } from 'node:crypto';
import type { EndpointInfo } from './endpoints';
import type { ServicePortInfo } from './service-ports';

/** nftables' limit on object names (NFT_NAME_MAXLEN), less room for the longest prefix. */
const NAME_MAX = 256;
const PREFIX_MAX = 16;
const BASE_MAX = NAME_MAX - PREFIX_MAX;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The first 8 base32 characters (40 bits) of the SHA-256 of `text`. */
export function shortHash(text: string): string {
  const digest = createHash('sha256').update(text).digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (let i = 0; out.length < 8; i++) {
    value = (value << 8) | digest[i];
    bits += 8;
    while (bits >= 5 && out.length < 8) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

function hashed(name: string): string {
  const full = `${shortHash(name)}-${name}`;
  return full.length > BASE_MAX ? `${full.slice(0, BASE_MAX - 3)}...` : full;
}

/** "HASH-namespace/name/protocol/portName". Object names in Kubernetes never contain "/", so
 *  neither a prefix nor any of our fixed chain names can collide with it. */
export function servicePortNameBase(sp: ServicePortInfo): string {
  return hashed(`${sp.namespace}/${sp.serviceName}/${sp.protocol}/${sp.portName}`);
}

/** "HASH-namespace/name/protocol/portName__ip/port" (":" of IPv6 becomes "."). */
export function endpointNameBase(sp: ServicePortInfo, ep: EndpointInfo): string {
  const ip = ep.ip.replaceAll(':', '.');
  return hashed(
    `${sp.namespace}/${sp.serviceName}/${sp.protocol}/${sp.portName}__${ip}/${ep.port}`,
  );
}

export const CHAIN_PREFIX = {
  cluster: 'service-',
  local: 'local-',
  external: 'external-',
  firewall: 'firewall-',
  endpoint: 'endpoint-',
} as const;

export const AFFINITY_SET_PREFIX = 'affinity-';

/** Chains and sets that belong to a Service (and so may go stale) have a "/" in their name. */
export function isServiceChainName(name: string): boolean {
  return name.includes('/');
}

export function isAffinitySetName(name: string): boolean {
  return name.startsWith(AFFINITY_SET_PREFIX) && name.includes('/');
}
