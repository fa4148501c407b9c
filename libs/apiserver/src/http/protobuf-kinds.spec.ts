// Nodes, Endpoints, EndpointSlices and Events for a client that accepts only protobuf, over real
// loopback HTTP: GET and LIST answer in protobuf equal to the JSON answers, and a WATCH streams
// length-delimited WatchEvent frames (application/vnd.kubernetes.protobuf;stream=watch), as
// client-go's protobuf clients read them.
import {
  decodeKubernetesProtobuf,
  decodeWatchEventFrames,
  encodeKubernetesProtobuf,
  PROTOBUF_MEDIA_TYPE,
  type DecodedWatchEvent,
} from '@flotilla/api';
import { HttpTestServer, inProcessTransport, startTestApi, type TestApi } from '@flotilla/testing';

const PB = PROTOBUF_MEDIA_TYPE;

interface Kind {
  path: string;
  apiVersion: string;
  kind: string;
  object: (name: string) => Record<string, unknown>;
}

const KINDS: Kind[] = [
  {
    path: '/api/v1/nodes',
    apiVersion: 'v1',
    kind: 'Node',
    object: (name) => ({
      metadata: { name },
      spec: { podCIDR: '10.244.9.0/24', taints: [{ key: 'k', effect: 'NoSchedule' }] },
    }),
  },
  {
    path: '/api/v1/namespaces/default/endpoints',
    apiVersion: 'v1',
    kind: 'Endpoints',
    object: (name) => ({
      metadata: { name },
      subsets: [{ addresses: [{ ip: '10.0.0.9' }], ports: [{ name: 'http', port: 80 }] }],
    }),
  },
  {
    path: '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    object: (name) => ({
      metadata: { name },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.9'], conditions: { ready: true } }],
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    }),
  },
  {
    path: '/api/v1/namespaces/default/events',
    apiVersion: 'v1',
    kind: 'Event',
    object: (name) => ({
      metadata: { name },
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'p' },
      reason: 'Started',
      message: 'Started container c',
      source: { component: 'kubelet' },
      count: 1,
      type: 'Normal',
    }),
  },
  {
    path: '/apis/events.k8s.io/v1/namespaces/default/events',
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    object: (name) => ({
      metadata: { name },
      eventTime: '2025-01-01T00:00:00.000000Z',
      reportingController: 'kubelet',
      reportingInstance: 'w1',
      action: 'Started',
      reason: 'Started',
      regarding: { kind: 'Pod', namespace: 'default', name: 'p' },
      type: 'Normal',
    }),
  },
];

describe('protobuf GET, LIST and WATCH of nodes, endpoints, endpointslices and events', () => {
  let api: TestApi;
  let http: HttpTestServer;

  beforeAll(async () => {
    api = await startTestApi();
    http = await HttpTestServer.start(api.server);
  });
  afterAll(async () => {
    await http.close();
    await api.stop();
  });

  async function send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: Uint8Array,
  ) {
    const res = await fetch(http.url + path, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(15_000),
    });
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      bytes: Buffer.from(await res.arrayBuffer()),
    };
  }

  /** Reads frames off a protobuf watch until `count` events came (bounded by the timeout). */
  async function watchEvents(path: string, count: number, during: () => Promise<void>) {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 15_000);
    const res = await fetch(`${http.url}${path}?watch=true&timeoutSeconds=10`, {
      headers: { accept: PB },
      signal: ac.signal,
    });
    const events: DecodedWatchEvent[] = [];
    try {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(`${PB};stream=watch`);
      const reader = res.body!.getReader();
      let pending = Buffer.alloc(0);
      const started = during();
      while (events.length < count) {
        const { value, done } = await reader.read();
        if (done) break;
        pending = Buffer.concat([pending, Buffer.from(value)]);
        const { events: got, used } = decodeWatchEventFrames(pending);
        events.push(...got);
        pending = pending.subarray(used);
      }
      await started;
    } finally {
      clearTimeout(timer);
      ac.abort();
    }
    return events;
  }

  it.each(KINDS)('$apiVersion $kind', async ({ path, apiVersion, kind, object: named }) => {
    // Both Event groups are one resource in storage: each test has names of its own.
    const prefix = `${apiVersion.replace(/\W/g, '-')}-`;
    const object = (name: string) => named(prefix + name);
    // Created in protobuf, answered in protobuf.
    const body = encodeKubernetesProtobuf({ apiVersion, kind, ...object('one') });
    const created = await send('POST', path, { 'content-type': PB, accept: PB }, body);
    expect(created.status).toBe(201);
    expect(created.type).toBe(PB);
    expect(decodeKubernetesProtobuf(created.bytes)).toMatchObject({ kind, ...object('one') });

    // GET and LIST: the protobuf answer is the JSON answer.
    const asJson = await send('GET', `${path}/${prefix}one`, { accept: 'application/json' });
    const asPb = await send('GET', `${path}/${prefix}one`, { accept: PB });
    expect(asPb.type).toBe(PB);
    expect(decodeKubernetesProtobuf(asPb.bytes)).toEqual(JSON.parse(asJson.bytes.toString()));
    const listJson = JSON.parse(
      (await send('GET', path, { accept: 'application/json' })).bytes.toString(),
    );
    const listPb = decodeKubernetesProtobuf((await send('GET', path, { accept: PB })).bytes);
    expect(listPb.kind).toBe(`${kind}List`);
    // Items of a protobuf list carry no apiVersion and kind (no TypeMeta in the item messages).
    // Only this test's items: the other group's events are in the list too.
    const ours = (items: unknown[]) =>
      (items as { metadata: { name: string } }[]).filter((i) => i.metadata.name.startsWith(prefix));
    const untyped = ours(listJson.items).map(
      ({ apiVersion: _a, kind: _k, ...rest }: Record<string, unknown>) => rest,
    );
    expect(ours(listPb.items as unknown[])).toEqual(untyped);
    expect({ ...listPb, items: [] }).toEqual({ ...listJson, items: [] });

    // WATCH: frames of the existing object, then of one created and one deleted meanwhile.
    const mine = (e: DecodedWatchEvent) =>
      String((e.object.metadata as { name?: string }).name).startsWith(prefix);
    const existing = (listPb.items as unknown[]).length;
    const all = await watchEvents(path, existing + 2, async () => {
      await send(
        'POST',
        path,
        { 'content-type': 'application/json' },
        Buffer.from(JSON.stringify({ apiVersion, kind, ...object('two') })),
      );
      await send('DELETE', `${path}/${prefix}two`, {});
    });
    const events = all.filter(mine);
    expect(events.map((e) => [e.type, e.object.metadata])).toEqual([
      ['ADDED', expect.objectContaining({ name: `${prefix}one` })],
      ['ADDED', expect.objectContaining({ name: `${prefix}two` })],
      ['DELETED', expect.objectContaining({ name: `${prefix}two` })],
    ]);
    for (const e of events) expect(e.object).toMatchObject({ apiVersion, kind });
  });

  it('frames a protobuf watch over the in-process transport too', async () => {
    const transport = inProcessTransport(api.server);
    const chunks: Buffer[] = [];
    try {
      const opening = await transport.stream(
        {
          method: 'GET',
          path: '/api/v1/nodes',
          query: new URLSearchParams({ watch: 'true', timeoutSeconds: '5' }),
          headers: { accept: PB },
          idempotent: true,
        },
        (chunk) => chunks.push(chunk),
      );
      expect(opening.kind).toBe('stream');
      await api.client.nodes().create({ metadata: { name: 'in-process-node' } });
      const seen = async () => {
        for (let i = 0; i < 200; i++) {
          const { events } = decodeWatchEventFrames(Buffer.concat(chunks));
          const hit = events.find(
            (e) => (e.object.metadata as { name?: string }).name === 'in-process-node',
          );
          if (hit) return hit;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        return undefined;
      };
      expect(await seen()).toMatchObject({
        type: 'ADDED',
        object: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'in-process-node' } },
      });
    } finally {
      transport.close();
    }
  });

  it('answers 406 to a protobuf-only watch of a kind without a schema', async () => {
    const r = await send(
      'GET',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions?watch=true&timeoutSeconds=1',
      { accept: PB },
    );
    expect(r.status).toBe(406);
    expect(decodeKubernetesProtobuf(r.bytes)).toMatchObject({ kind: 'Status', code: 406 });
  });
});
