// The string formats Kubernetes checks in custom resources; unknown formats pass, as there.
import { isIP } from 'node:net';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAC = /^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/;
const DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

function validDate(text: string): boolean {
  return !Number.isNaN(Date.parse(text));
}

function validCidr(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash < 0) return false;
  const family = isIP(text.slice(0, slash));
  const bits = text.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/** Whether `v` has format `format` (integers: within int32/int64). */
export function checkFormat(format: string, v: string | number): boolean {
  if (typeof v === 'number') {
    if (format === 'int32') return Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31;
    if (format === 'int64') return Number.isInteger(v);
    return true;
  }
  switch (format) {
    case 'date':
      return DATE.test(v) && validDate(v);
    case 'date-time':
    case 'datetime':
      return DATE_TIME.test(v) && validDate(v);
    case 'uuid':
      return UUID.test(v);
    case 'byte':
      return BASE64.test(v);
    case 'hostname':
      return HOSTNAME.test(v);
    case 'email':
      return EMAIL.test(v);
    case 'ipv4':
      return isIP(v) === 4;
    case 'ipv6':
      return isIP(v) === 6;
    case 'cidr':
      return validCidr(v);
    case 'mac':
      return MAC.test(v);
    case 'duration':
      return DURATION.test(v);
    case 'uri':
      try {
        new URL(v);
        return true;
      } catch {
        return false;
      }
    default:
      return true;
  }
}
