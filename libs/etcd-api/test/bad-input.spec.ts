// Bad requests get etcd's status codes and messages, and the server keeps serving.
import { ServiceError, status } from '@grpc/grpc-js';
import { RawEtcdClient } from './raw-client';
import { Served, serve } from './harness';

const b = (s: string) => Buffer.from(s);

describe('bad input to the etcd API', () => {
  let s: Served;
  let c: RawEtcdClient;

  beforeAll(async () => {
    s = await serve({ maxTxnOps: 8 });
    c = new RawEtcdClient(s.endpoint);
  });
  afterAll(async () => {
    c.close();
    await s.close();
  });

  const expectError = (error: ServiceError | undefined, code: status, details: string) => {
    expect(error?.code).toBe(code);
    expect(error?.details).toBe(details);
  };

  afterEach(async () => {
    // Whatever the test sent, the server still answers a plain write and read.
    const put = await c.call('KV', 'Put', { key: b('alive'), value: b('yes') });
    expect(put.error).toBeUndefined();
    const got = await c.call<{ kvs: Array<{ value: Buffer }> }>('KV', 'Range', { key: b('alive') });
    expect(got.response?.kvs[0].value.toString()).toBe('yes');
  });

  it('refuses a value above the request size limit, and a frame above the gRPC limit', async () => {
    const big = await c.call('KV', 'Put', {
      key: b('big'),
      value: Buffer.alloc(1.6 * 1024 * 1024),
    });
    expectError(big.error, status.INVALID_ARGUMENT, 'etcdserver: request is too large');
    const huge = await c.call('KV', 'Put', { key: b('big'), value: Buffer.alloc(3 * 1024 * 1024) });
    expect(huge.error?.code).toBe(status.RESOURCE_EXHAUSTED);
    const txn = await c.call('KV', 'Txn', {
      success: [{ request_put: { key: b('big'), value: Buffer.alloc(1.6 * 1024 * 1024) } }],
    });
    expectError(txn.error, status.INVALID_ARGUMENT, 'etcdserver: request is too large');
  });

  it('refuses reads at a future or compacted revision', async () => {
    const put = await c.call<{ header: { revision: string } }>('KV', 'Put', {
      key: b('r'),
      value: b('1'),
    });
    const rev = Number(put.response!.header.revision);
    await c.call('KV', 'Put', { key: b('r'), value: b('2') });
    const future = await c.call('KV', 'Range', { key: b('r'), revision: rev + 100 });
    expectError(
      future.error,
      status.OUT_OF_RANGE,
      'etcdserver: mvcc: required revision is a future revision',
    );
    expect((await c.call('KV', 'Compact', { revision: rev + 1 })).error).toBeUndefined();
    const old = await c.call('KV', 'Range', { key: b('r'), revision: rev });
    expectError(
      old.error,
      status.OUT_OF_RANGE,
      'etcdserver: mvcc: required revision has been compacted',
    );
    const again = await c.call('KV', 'Compact', { revision: rev });
    expectError(
      again.error,
      status.OUT_OF_RANGE,
      'etcdserver: mvcc: required revision has been compacted',
    );
  });

  it('cancels a watch that starts below the compacted revision', async () => {
    await c.call('KV', 'Put', { key: b('wc'), value: b('1') });
    const put = await c.call<{ header: { revision: string } }>('KV', 'Put', {
      key: b('wc'),
      value: b('2'),
    });
    const rev = Number(put.response!.header.revision);
    await c.call('KV', 'Compact', { revision: rev });
    const stream = c.watch();
    const responses: Array<Record<string, unknown>> = [];
    const canceled = new Promise<void>((resolve) =>
      stream.on('data', (r: Record<string, unknown>) => {
        responses.push(r);
        if (r.canceled) resolve();
      }),
    );
    stream.write({ create_request: { key: b('wc'), start_revision: 1 } });
    await canceled;
    stream.cancel();
    expect(responses[0]).toMatchObject({ created: true, watch_id: '0' });
    expect(responses[1]).toMatchObject({
      canceled: true,
      watch_id: '0',
      compact_revision: String(rev),
    });
  });

  it('refuses a put with an unknown lease', async () => {
    const res = await c.call('KV', 'Put', { key: b('l'), value: b('v'), lease: '999999' });
    expectError(res.error, status.NOT_FOUND, 'etcdserver: requested lease not found');
    const huge = await c.call('KV', 'Put', { key: b('l'), lease: '9223372036854775807' });
    expectError(huge.error, status.NOT_FOUND, 'etcdserver: requested lease not found');
  });

  it('refuses txns with too many operations or duplicate keys', async () => {
    const ops = Array.from({ length: 9 }, (_, i) => ({ request_put: { key: b(`k${i}`) } }));
    const many = await c.call('KV', 'Txn', { success: ops });
    expectError(
      many.error,
      status.INVALID_ARGUMENT,
      'etcdserver: too many operations in txn request',
    );
    const dup = await c.call('KV', 'Txn', {
      success: [{ request_put: { key: b('d') } }, { request_put: { key: b('d') } }],
    });
    expectError(
      dup.error,
      status.INVALID_ARGUMENT,
      'etcdserver: duplicate key given in txn request',
    );
  });

  it('refuses empty keys', async () => {
    for (const [method, req] of [
      ['Put', { value: b('v') }],
      ['Range', {}],
      ['DeleteRange', {}],
      ['Txn', { compare: [{ target: 3, value: b('x') }] }],
      ['Txn', { success: [{ request_put: { value: b('x') } }] }],
    ] as const) {
      const res = await c.call('KV', method, req);
      expectError(res.error, status.INVALID_ARGUMENT, 'etcdserver: key is not provided');
    }
  });

  it('answers unknown services, unoffered methods and undecodable requests with an error', async () => {
    const auth = await c.callRaw('/etcdserverpb.Auth/AuthStatus', Buffer.alloc(0));
    expect(auth?.code).toBe(status.UNIMPLEMENTED);
    const update = await c.call('Cluster', 'MemberUpdate', { ID: '1' });
    expect(update.error?.code).toBe(status.UNIMPLEMENTED);
    const hash = await c.call('Maintenance', 'HashKV', {});
    expect(hash.error?.code).toBe(status.UNIMPLEMENTED);
    const garbage = await c.callRaw('/etcdserverpb.KV/Put', Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect(garbage?.code).toBe(status.INTERNAL);
  });

  it('maps member errors to etcd codes', async () => {
    const remove = await c.call('Cluster', 'MemberRemove', { ID: '18446744073709551615' });
    expectError(remove.error, status.NOT_FOUND, 'etcdserver: member not found');
    const promote = await c.call('Cluster', 'MemberPromote', { ID: '18364758544493064720' });
    expectError(
      promote.error,
      status.FAILED_PRECONDITION,
      'etcdserver: can only promote a learner member',
    );
  });
});
