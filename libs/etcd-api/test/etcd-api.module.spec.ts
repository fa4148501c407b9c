// The Nest module only wires: it starts the server on init and stops it on shutdown.
import { Test } from '@nestjs/testing';
import { ETCD_API_LISTEN, ETCD_BACKEND, EtcdApiModule } from '../src/etcd-api.module';
import { EtcdGrpcServer } from '../src';
import { LocalBackend } from './local-backend';
import { RawEtcdClient } from './raw-client';

describe('EtcdApiModule', () => {
  it('serves the backend it is given, and stops with the application', async () => {
    const backend = await LocalBackend.create();
    const moduleRef = await Test.createTestingModule({
      imports: [
        EtcdApiModule.register([
          { provide: ETCD_BACKEND, useValue: backend },
          { provide: ETCD_API_LISTEN, useValue: { host: '127.0.0.1', port: 0 } },
        ]),
      ],
    }).compile();
    const app = await moduleRef.init();
    const port = app.get(EtcdGrpcServer).port;
    const client = new RawEtcdClient(`127.0.0.1:${port}`);
    try {
      const res = await client.call('KV', 'Put', {
        key: Buffer.from('k'),
        value: Buffer.from('v'),
      });
      expect(res.error).toBeUndefined();
    } finally {
      client.close();
      await app.close();
      await backend.close();
    }
  });
});
