import { isIP } from 'node:net';
import { isPlainObject } from '@flotilla/api';
import { REGISTRY_ROOT } from '../storage/key-layout';
import type { MasterAddress } from './kubernetes-service';

// Which masters are alive, as the kubernetes Service's endpoints should list them: each master
// keeps one key under /registry/masterleases/ attached to a store lease it renews. A master that
// stops renewing (killed, partitioned away, removed) loses its key when the lease lapses, and
// with it its place in the endpoints. Kubernetes' "lease" endpoint reconciler works the same way
// and uses these defaults. Pure: key names and values.

/** How long a master's key outlives its last renewal (seconds; store leases count whole seconds). */
export const MASTER_LEASE_TTL_SECONDS = 15;
/** How often a master renews its key and rewrites the endpoints; well inside the TTL. */
export const MASTER_LEASE_REFRESH_MS = 10_000;

export const MASTER_LEASE_PREFIX = `${REGISTRY_ROOT}masterleases/`;

/**
 * One key per API address, ip:port: the local cluster runs three masters on 127.0.0.1 with
 * different API ports, and Kubernetes' one key per IP would let them overwrite each other.
 */
export function masterLeaseKey(master: Pick<MasterAddress, 'ip' | 'port'>): string {
  return `${MASTER_LEASE_PREFIX}${master.ip}:${master.port}`;
}

export function encodeMasterLease(master: MasterAddress): Buffer {
  return Buffer.from(JSON.stringify({ name: master.name, ip: master.ip, port: master.port }));
}

/** The address in a stored value, or undefined for anything else (never trusted blindly). */
export function decodeMasterLease(value: Uint8Array): MasterAddress | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value).toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isPlainObject(parsed)) return undefined;
  const { name, ip, port } = parsed;
  // The endpoints list IPv4 addresses only; a master never writes anything else here.
  if (typeof name !== 'string' || typeof ip !== 'string' || isIP(ip) !== 4) return undefined;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
    return undefined;
  return { name, ip, port };
}
