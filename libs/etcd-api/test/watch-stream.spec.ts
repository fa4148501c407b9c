// The Watch stream protocol: created first, many watchers on one stream, cancel, filters,
// progress requests, client-chosen IDs.
import { ClientDuplexStream } from '@grpc/grpc-js';
import { RawEtcdClient } from './raw-client';
import { Served, serve } from './harness';

const b = (s: string) => Buffer.from(s);
type Resp = Record<string, unknown> & { watch_id: string; events: Array<Record<string, unknown>> };

/** Collects a watch stream's responses; `next(pred)` waits for the first unread one matching. */
class Responses {
  private readonly seen: Resp[] = [];
  private read = 0;
  private wake: (() => void) | undefined;

  constructor(readonly stream: ClientDuplexStream<object, Record<string, unknown>>) {
    stream.on('data', (r: Resp) => {
      this.seen.push(r);
      this.wake?.();
    });
  }

  async next(): Promise<Resp> {
    for (let i = 0; i < 1000 && this.read >= this.seen.length; i++) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 10_000);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    if (this.read >= this.seen.length) throw new Error('no watch response arrived');
    return this.seen[this.read++];
  }
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

const keyOf = (e: Record<string, unknown>) => (e.kv as { key: Buffer }).key.toString();

describe('the Watch stream', () => {
  let s: Served;
  let c: RawEtcdClient;

  beforeAll(async () => {
    s = await serve();
    c = new RawEtcdClient(s.endpoint);
  });
  afterAll(async () => {
    c.close();
    await s.close();
  });

  it('multiplexes watchers, honours filters, cancels one, and answers progress requests', async () => {
    const stream = c.watch();
    const r = new Responses(stream);
    stream.write({ create_request: { key: b('/m/a') } });
    expect(await r.next()).toMatchObject({ created: true, watch_id: '0' });
    stream.write({ create_request: { key: b('/m/'), range_end: b('/m0'), filters: [1] } });
    expect(await r.next()).toMatchObject({ created: true, watch_id: '1' });
    stream.write({ create_request: { key: b('/m/b'), watch_id: 7 } });
    expect(await r.next()).toMatchObject({ created: true, watch_id: '7' });
    stream.write({ create_request: { key: b('/m/b'), watch_id: 7 } });
    expect(await r.next()).toMatchObject({ created: true, canceled: true, watch_id: '7' });

    await s.backend.put({ key: b('/m/a'), value: b('1') });
    const got = [await r.next(), await r.next()].map((x) => `${x.watch_id}:${x.events.map(keyOf)}`);
    expect(got.sort()).toEqual(['0:/m/a', '1:/m/a']);

    stream.write({ cancel_request: { watch_id: 0 } });
    expect(await r.next()).toMatchObject({ canceled: true, watch_id: '0' });

    await s.backend.deleteRange({ key: b('/m/a') });
    await s.backend.put({ key: b('/m/b'), value: b('2') });
    // Watcher 1 filters deletes (NODELETE) and watcher 0 is gone: only the put of /m/b remains.
    const after = [await r.next(), await r.next()].map(
      (x) => `${x.watch_id}:${x.events.map(keyOf)}`,
    );
    expect(after.sort()).toEqual(['1:/m/b', '7:/m/b']);

    stream.write({ progress_request: {} });
    const progress = await r.next();
    expect(progress).toMatchObject({ watch_id: '-1', events: [] });
    expect((progress.header as { revision: string }).revision).toBe(String(s.backend.revision()));
    stream.cancel();
  });

  it('replays history from a start revision, with previous values when asked', async () => {
    const first = await s.backend.put({ key: b('/h'), value: b('1') });
    await s.backend.put({ key: b('/h'), value: b('2') });
    const stream = c.watch();
    const r = new Responses(stream);
    stream.write({
      create_request: { key: b('/h'), start_revision: first.header.revision, prev_kv: true },
    });
    expect(await r.next()).toMatchObject({ created: true });
    const replay = await r.next();
    expect(replay.events.map((e) => (e.kv as { value: Buffer }).value.toString())).toEqual([
      '1',
      '2',
    ]);
    expect((replay.events[1].prev_kv as { value: Buffer }).value.toString()).toBe('1');
    stream.cancel();
  });

  it('ends every watcher of a stream when the client goes away', async () => {
    // Streams of the earlier tests were cancelled too; let the server notice first.
    await until(() => s.backend.store.watcherCount === 0);
    const before = 0;
    const stream = c.watch();
    const r = new Responses(stream);
    stream.write({ create_request: { key: b('/gone/a') } });
    stream.write({ create_request: { key: b('/gone/b') } });
    await r.next();
    await r.next();
    expect(s.backend.store.watcherCount).toBe(before + 2);
    stream.cancel();
    await until(() => s.backend.store.watcherCount === before);
    expect(s.backend.store.watcherCount).toBe(before);
  });
});
