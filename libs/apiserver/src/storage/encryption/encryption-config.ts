// kube-apiserver's --encryption-provider-config: an EncryptionConfiguration
// (apiserver.config.k8s.io/v1) says, per resource, which providers seal what is stored. The first
// provider of a rule writes; every provider of it reads (so keys rotate: add the new key first,
// keep the old one after it until everything has been written again). Checked in full at
// start, with an error naming the field.
import { isPlainObject, servedResources } from '@flotilla/api';
import { parse as parseYaml } from 'yaml';
import { resourcePrefix } from '../key-layout';
import { aesCbc, aesGcm, IDENTITY, ValueTransformer } from './providers';

export const ENCRYPTION_CONFIG_API_VERSION = 'apiserver.config.k8s.io/v1';

export interface EncryptionRule {
  /** As written: `secrets`, `deployments.apps`, `*.apps`, `*.` (the core group), `*.*`. */
  resources: string[];
  /** In order: the first writes, all read. */
  providers: ValueTransformer[];
  /** The providers' names for messages (aesgcm:key1, identity). */
  names: string[];
}

export class EncryptionConfigError extends Error {}

/** Parses and checks the file's text (YAML or JSON). */
export function parseEncryptionConfiguration(text: string): EncryptionRule[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new EncryptionConfigError(`not YAML: ${(err as Error).message}`);
  }
  const fail = (field: string, message: string) => {
    throw new EncryptionConfigError(`${field}: ${message}`);
  };
  if (!isPlainObject(doc)) return fail('(root)', 'must be an EncryptionConfiguration object');
  if (doc.kind !== 'EncryptionConfiguration')
    fail('kind', `must be EncryptionConfiguration, not ${JSON.stringify(doc.kind)}`);
  if (doc.apiVersion !== ENCRYPTION_CONFIG_API_VERSION)
    fail(
      'apiVersion',
      `must be ${ENCRYPTION_CONFIG_API_VERSION}, not ${JSON.stringify(doc.apiVersion)}`,
    );
  if (!Array.isArray(doc.resources) || doc.resources.length === 0)
    fail('resources', 'must list at least one rule');
  return (doc.resources as unknown[]).map((rule, i) => {
    const at = `resources[${i}]`;
    if (!isPlainObject(rule)) return fail(at, 'must be an object');
    const resources = rule.resources;
    if (
      !Array.isArray(resources) ||
      resources.length === 0 ||
      !resources.every((r) => typeof r === 'string' && r !== '')
    ) {
      fail(`${at}.resources`, 'must list resource names (secrets, deployments.apps, *.*)');
    }
    if (!Array.isArray(rule.providers) || rule.providers.length === 0)
      fail(`${at}.providers`, 'must list at least one provider');
    const providers: ValueTransformer[] = [];
    const names: string[] = [];
    (rule.providers as unknown[]).forEach((p, j) => {
      const pat = `${at}.providers[${j}]`;
      if (!isPlainObject(p) || Object.keys(p).length !== 1)
        fail(pat, 'must name exactly one provider (aesgcm, aescbc, identity)');
      const [kind, settings] = Object.entries(p as Record<string, unknown>)[0];
      switch (kind) {
        case 'identity':
          providers.push(IDENTITY);
          names.push('identity');
          return;
        case 'aesgcm':
        case 'aescbc': {
          const keys = isPlainObject(settings) ? settings.keys : undefined;
          if (!Array.isArray(keys) || keys.length === 0)
            fail(`${pat}.${kind}.keys`, 'must list at least one key');
          (keys as unknown[]).forEach((k, n) => {
            const kat = `${pat}.${kind}.keys[${n}]`;
            const name = isPlainObject(k) ? k.name : undefined;
            if (typeof name !== 'string' || name === '' || name.includes(':'))
              fail(`${kat}.name`, 'must be a non-empty name without ":"');
            const secret = decodeSecret(isPlainObject(k) ? k.secret : undefined);
            const sizes = kind === 'aesgcm' ? [16, 24, 32] : [32];
            if (!secret || !sizes.includes(secret.length)) {
              fail(
                `${kat}.secret`,
                `must be the base64 of ${sizes.join(', ')} bytes (head -c 32 /dev/urandom | base64)`,
              );
            }
            const key = secret as Buffer;
            providers.push(
              kind === 'aesgcm' ? aesGcm(name as string, key) : aesCbc(name as string, key),
            );
            names.push(`${kind}:${name as string}`);
          });
          return;
        }
        case 'secretbox':
        case 'kms':
          return fail(pat, `${kind} is not supported here; use aesgcm or aescbc (and identity)`);
        default:
          return fail(pat, `unknown provider ${JSON.stringify(kind)} (aesgcm, aescbc, identity)`);
      }
    });
    return { resources: resources as string[], providers, names };
  });
}

function decodeSecret(v: unknown): Buffer | undefined {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(v.trim())) return undefined;
  return Buffer.from(v.trim(), 'base64');
}

/** Whether a rule's resource name covers a resource of `group` named `plural`. */
export function ruleCovers(name: string, group: string, plural: string): boolean {
  if (name === '*.*') return true;
  const dot = name.indexOf('.');
  const resource = dot < 0 ? name : name.slice(0, dot);
  const ruleGroup = dot < 0 ? '' : name.slice(dot + 1);
  if (ruleGroup !== group) return false;
  return resource === '*' || resource === plural;
}

/** Per store key prefix, the providers of the first rule that covers its resource. */
export function providersByPrefix(rules: EncryptionRule[]): Map<string, EncryptionRule> {
  const out = new Map<string, EncryptionRule>();
  for (const r of servedResources()) {
    const prefix = resourcePrefix(r);
    if (out.has(prefix)) continue;
    const rule = rules.find((x) => x.resources.some((n) => ruleCovers(n, r.group, r.plural)));
    if (rule) out.set(prefix, rule);
  }
  return out;
}
