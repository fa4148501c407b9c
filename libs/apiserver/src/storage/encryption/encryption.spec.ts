import { randomBytes } from 'node:crypto';
import { startTestApi, TestApi } from '@flotilla/testing';
import type { ApiRequest, ApiResponse } from '../../http/api-handler';
import {
  EncryptionConfigError,
  parseEncryptionConfiguration,
  ruleCovers,
} from './encryption-config';
import { StorageEncryption } from './encrypting-backend';

const b64 = (n: number) => randomBytes(n).toString('base64');

function config(providers: string, resources = ['secrets']): string {
  return [
    'apiVersion: apiserver.config.k8s.io/v1',
    'kind: EncryptionConfiguration',
    'resources:',
    `  - resources: [${resources.join(', ')}]`,
    '    providers:',
    providers,
  ].join('\n');
}
const aesgcm = (name: string, secret: string) =>
  `      - aesgcm:\n          keys:\n            - name: ${name}\n              secret: ${secret}`;
const aescbc = (name: string, secret: string) =>
  `      - aescbc:\n          keys:\n            - name: ${name}\n              secret: ${secret}`;
const identity = '      - identity: {}';

type Json = ApiResponse & { kind: 'json'; body: Record<string, unknown> };
function call(
  server: TestApi['server'],
  method: string,
  path: string,
  body?: unknown,
): Promise<Json> {
  const req: ApiRequest = {
    method,
    path,
    query: new URLSearchParams(),
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
  };
  return server.handler.handle(req) as Promise<Json>;
}

async function rawValue(api: TestApi, key: string): Promise<Buffer> {
  const r = await api.backend.range({ key: Buffer.from(key) });
  expect(r.kvs).toHaveLength(1);
  return r.kvs[0].value;
}

const secret = (name: string, value: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name },
  data: { password: Buffer.from(value).toString('base64') },
});

describe('encryption at rest', () => {
  const key1 = b64(32);
  const key2 = b64(32);
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({
      encryption: parseEncryptionConfiguration(config([aesgcm('key1', key1), identity].join('\n'))),
    });
  });
  afterAll(() => api.stop());

  it('stores Secrets sealed with the first provider and serves them in the clear', async () => {
    expect(
      (
        await call(
          api.server,
          'POST',
          '/api/v1/namespaces/default/secrets',
          secret('s1', 'hunter2'),
        )
      ).status,
    ).toBe(201);
    const raw = await rawValue(api, '/registry/secrets/default/s1');
    expect(raw.toString('latin1').startsWith('k8s:enc:aesgcm:v1:key1:')).toBe(true);
    expect(raw.includes(Buffer.from('hunter2'))).toBe(false);
    expect(raw.includes(Buffer.from(Buffer.from('hunter2').toString('base64')))).toBe(false);
    const got = await call(api.server, 'GET', '/api/v1/namespaces/default/secrets/s1');
    expect(got.body.data).toEqual({ password: Buffer.from('hunter2').toString('base64') });
    // Lists (watch cache) and resources the rule does not name are as before.
    const list = await call(api.server, 'GET', '/api/v1/namespaces/default/secrets');
    expect((list.body.items as unknown[]).length).toBe(1);
    await call(api.server, 'POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'c' },
      data: { k: 'plain-value' },
    });
    expect((await rawValue(api, '/registry/configmaps/default/c')).toString()).toContain(
      'plain-value',
    );
  });

  it('reads Secrets stored before encryption was on, through identity', async () => {
    const plain = await startTestApi();
    try {
      await call(
        plain.server,
        'POST',
        '/api/v1/namespaces/default/secrets',
        secret('old', 'from-before'),
      );
      const later = plain.addServer({
        encryption: parseEncryptionConfiguration(
          config([aesgcm('key1', key1), identity].join('\n')),
        ),
      });
      const got = await call(later, 'GET', '/api/v1/namespaces/default/secrets/old');
      expect(got.status).toBe(200);
      // Without identity among the providers, a plaintext Secret is an error, not a leak.
      const strict = plain.addServer({
        encryption: parseEncryptionConfiguration(config(aesgcm('key1', key1))),
      });
      const refused = await call(strict, 'GET', '/api/v1/namespaces/default/secrets/old');
      expect(refused.status).toBe(500);
      expect(String(refused.body.message)).toContain(
        'cannot decrypt /registry/secrets/default/old',
      );
    } finally {
      await plain.stop();
    }
  });

  it('rotates keys: a new first key writes, the old one still reads, and without it nothing reads', async () => {
    const rotated = api.addServer({
      encryption: parseEncryptionConfiguration(
        config([aesgcm('key2', key2), aesgcm('key1', key1)].join('\n')),
      ),
    });
    expect((await call(rotated, 'GET', '/api/v1/namespaces/default/secrets/s1')).status).toBe(200);
    await call(rotated, 'POST', '/api/v1/namespaces/default/secrets', secret('s2', 'newer'));
    expect((await rawValue(api, '/registry/secrets/default/s2')).toString('latin1')).toMatch(
      /^k8s:enc:aesgcm:v1:key2:/,
    );
    // Written again (the last step of a rotation): now under key2.
    const s1 = (await call(rotated, 'GET', '/api/v1/namespaces/default/secrets/s1')).body;
    expect((await call(rotated, 'PUT', '/api/v1/namespaces/default/secrets/s1', s1)).status).toBe(
      200,
    );
    expect((await rawValue(api, '/registry/secrets/default/s1')).toString('latin1')).toMatch(
      /^k8s:enc:aesgcm:v1:key2:/,
    );
    const lost = api.addServer({
      encryption: parseEncryptionConfiguration(config(aesgcm('key3', b64(32)))),
    });
    const refused = await call(lost, 'GET', '/api/v1/namespaces/default/secrets/s2');
    expect(refused.status).toBe(500);
    expect(String(refused.body.message)).toContain('no provider of aesgcm:key3 matches');
  });
});

describe('value transformers', () => {
  const enc = (providers: string) =>
    new StorageEncryption(parseEncryptionConfiguration(config(providers)));
  const key = Buffer.from('/registry/secrets/ns/s');

  it('round-trips aescbc and aesgcm, and refuses a tampered or moved value', () => {
    for (const p of [aescbc('k', b64(32)), aesgcm('k', b64(16))]) {
      const e = enc(p);
      const sealed = e.seal(key, Buffer.from('{"data":1}'));
      expect(e.open(key, sealed).toString()).toBe('{"data":1}');
      const tampered = Buffer.from(sealed);
      tampered[tampered.length - 1] ^= 1;
      expect(() => e.open(key, tampered)).toThrow(/cannot decrypt/);
    }
    const gcm = enc(aesgcm('k', b64(32)));
    const sealed = gcm.seal(key, Buffer.from('x'));
    // The key is the additional data: the same bytes under another Secret's key do not open.
    expect(() => gcm.open(Buffer.from('/registry/secrets/ns/other'), sealed)).toThrow(
      /cannot decrypt/,
    );
  });

  it('explains what is wrong with a configuration', () => {
    const error = (text: string) => {
      try {
        parseEncryptionConfiguration(text);
      } catch (e) {
        expect(e).toBeInstanceOf(EncryptionConfigError);
        return (e as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(error(config('      - secretbox:\n          keys: []'))).toBe(
      'resources[0].providers[0]: secretbox is not supported here; use aesgcm or aescbc (and identity)',
    );
    expect(error(config(aesgcm('k', b64(10))))).toBe(
      'resources[0].providers[0].aesgcm.keys[0].secret: must be the base64 of 16, 24, 32 bytes (head -c 32 /dev/urandom | base64)',
    );
    expect(error(config(aescbc('k', b64(16))))).toContain('must be the base64 of 32 bytes');
    expect(error('kind: Nope')).toBe('kind: must be EncryptionConfiguration, not "Nope"');
    expect(error(config(identity, []))).toBe(
      'resources[0].resources: must list resource names (secrets, deployments.apps, *.*)',
    );
  });

  it('matches resource names as Kubernetes writes them', () => {
    expect(ruleCovers('secrets', '', 'secrets')).toBe(true);
    expect(ruleCovers('secrets', 'apps', 'secrets')).toBe(false);
    expect(ruleCovers('deployments.apps', 'apps', 'deployments')).toBe(true);
    expect(ruleCovers('*.apps', 'apps', 'replicasets')).toBe(true);
    expect(ruleCovers('*.', '', 'configmaps')).toBe(true);
    expect(ruleCovers('*.', 'apps', 'deployments')).toBe(false);
    expect(ruleCovers('*.*', 'batch', 'jobs')).toBe(true);
  });
});
