import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer } from '../api-server';
import { LocalBackend } from '../storage/local-backend';
import { SERVICE_IP_PREFIX } from '../storage/key-layout';
import { parseServiceCidr } from './service-ranges';
import { clusterDnsIp } from './cluster-dns-service';

const KEY = '/registry/services/specs/kube-system/kube-dns';

describe('the kube-dns Service', () => {
  it('sits at the range’s tenth address, when the range has one', () => {
    expect(clusterDnsIp(parseServiceCidr('10.96.0.0/12'))).toBe('10.96.0.10');
    expect(clusterDnsIp(parseServiceCidr('10.100.7.0/24'))).toBe('10.100.7.10');
    expect(clusterDnsIp(parseServiceCidr('10.100.7.0/29'))).toBeUndefined();
  });

  describe('made at bootstrap', () => {
    let dir: string;
    let kv: LocalBackend;
    const servers: ApiServer[] = [];
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'kube-dns-'));
      kv = await LocalBackend.open(dir);
    });
    afterEach(async () => {
      for (const s of servers.splice(0)) s.stop();
      await kv.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('by three masters at once: one Service on 53/UDP and 53/TCP, its address claimed once', async () => {
      for (let i = 0; i < 3; i++) {
        servers.push(new ApiServer(kv, { serviceCidr: '10.100.0.0/16', watchWindow: 100 }));
      }
      await Promise.all(servers.map((s) => s.bootstrap()));
      const svc = (await servers[0].store.get(KEY))!;
      expect(svc.metadata.labels).toMatchObject({ 'k8s-app': 'kube-dns' });
      expect(svc.spec).toMatchObject({
        clusterIP: '10.100.0.10',
        selector: { 'k8s-app': 'kube-dns' },
        ports: [
          { name: 'dns', protocol: 'UDP', port: 53 },
          { name: 'dns-tcp', protocol: 'TCP', port: 53 },
        ],
      });
      const claimed = await kv.range({ key: Buffer.from(`${SERVICE_IP_PREFIX}10.100.0.10`) });
      expect(claimed.kvs.map((k) => k.value.toString())).toEqual(['kube-system/kube-dns']);
    });

    it('comes back after a delete, and takes another address when its own is taken', async () => {
      const server = new ApiServer(kv, { serviceCidr: '10.100.0.0/16', watchWindow: 100 });
      servers.push(server);
      await server.bootstrap();
      const call = (method: string, path: string, body?: unknown) =>
        server.handler.handle({
          method,
          path,
          query: new URLSearchParams(),
          headers: { 'content-type': 'application/json' },
          ...(body ? { body: Buffer.from(JSON.stringify(body)) } : {}),
        });
      expect(
        await call('DELETE', '/api/v1/namespaces/kube-system/services/kube-dns'),
      ).toMatchObject({ status: 200 });
      const squatter = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'squatter', namespace: 'default' },
        spec: { clusterIP: '10.100.0.10', ports: [{ port: 80 }] },
      };
      expect(await call('POST', '/api/v1/namespaces/default/services', squatter)).toMatchObject({
        status: 201,
      });
      await server.bootstrap();
      const svc = (await server.store.get(KEY))!;
      const ip = (svc.spec as { clusterIP: string }).clusterIP;
      expect(ip).toMatch(/^10\.100\./);
      expect(ip).not.toBe('10.100.0.10');
    });
  });
});
