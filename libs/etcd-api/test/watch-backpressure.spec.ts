// A watch client that stops reading: the server stops writing (HTTP/2 flow control + 'drain'),
// the store's bounded per-watcher buffer fills, and the watcher is cancelled with a reason,
// instead of the server buffering without bound.
import { RawEtcdClient } from './raw-client';
import { Served, serve } from './harness';

describe('watch backpressure', () => {
  let s: Served;
  let c: RawEtcdClient;

  beforeAll(async () => {
    s = await serve({}, { watchMaxBufferedEvents: 16 });
    c = new RawEtcdClient(s.endpoint);
  });
  afterAll(async () => {
    c.close();
    await s.close();
  });

  it('cancels a watcher whose client does not read, and keeps serving others', async () => {
    const stream = c.watch();
    const responses: Array<Record<string, unknown>> = [];
    stream.on('data', (r: Record<string, unknown>) => responses.push(r));
    stream.write({ create_request: { key: Buffer.from('/bp/'), range_end: Buffer.from('/bp0') } });
    for (let i = 0; i < 100 && responses.length === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(responses[0]).toMatchObject({ created: true });
    stream.pause();

    const value = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < 400 && s.backend.store.watcherCount > 0; i++) {
      await s.backend.put({ key: Buffer.from(`/bp/${i % 10}`), value });
    }
    // The store gave up on the watcher: its buffer (16 events) filled while the stream was stuck.
    expect(s.backend.store.watcherCount).toBe(0);

    stream.resume();
    for (let i = 0; i < 500 && !responses.some((r) => r.canceled); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const last = responses[responses.length - 1];
    expect(last).toMatchObject({ canceled: true });
    expect(String(last.cancel_reason)).toContain('fell behind');
    stream.cancel();

    const other = await c.call('KV', 'Range', { key: Buffer.from('/bp/1') });
    expect(other.error).toBeUndefined();
  });
});
