// Three official clients in three languages drive a three-master cluster through the same
// scenario, each pinned to its own master: kubectl (Go), @kubernetes/client-node (JavaScript)
// and python3-kubernetes (Python). Each client's script prints the facts it saw; they must be
// what Kubernetes gives, and the same for all three.
import { join } from 'node:path';
import { MasterCluster } from '../integration/support/master-cluster';
import { runTool, ToolResult } from '../integration/support/run-tool';

const CLIENTS = join(__dirname, 'clients');

interface ClientRun {
  name: string;
  master: string;
  namespace: string;
  run: (kubeconfig: string, context: string, namespace: string) => Promise<ToolResult>;
}

const clients: ClientRun[] = [
  {
    name: 'kubectl',
    master: 'm1',
    namespace: 'conformance-kubectl',
    run: (kc, ctx, ns) =>
      runTool('bash', [join(CLIENTS, 'kubectl_client.sh'), kc, ctx, ns], { timeoutMs: 120_000 }),
  },
  {
    name: 'client-node',
    master: 'm2',
    namespace: 'conformance-client-node',
    run: (kc, ctx, ns) =>
      runTool(
        process.execPath,
        ['--import', 'tsx', join(CLIENTS, 'client_node.mts'), kc, ctx, ns],
        {
          timeoutMs: 120_000,
        },
      ),
  },
  {
    name: 'python',
    master: 'm3',
    namespace: 'conformance-python',
    // Debian's python3-kubernetes lives with Debian's python3, whatever python3 is first on PATH.
    run: (kc, ctx, ns) =>
      runTool('/usr/bin/python3', [join(CLIENTS, 'python_client.py'), kc, ctx, ns], {
        timeoutMs: 120_000,
      }),
  },
];

// Results are JSON the client scripts printed.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function resultOf(name: string, out: ToolResult): Json {
  const line = out.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) {
    throw new Error(`${name} printed no result (exit ${out.code}):\n${out.stdout}\n${out.stderr}`);
  }
  return JSON.parse(line.slice('RESULT '.length));
}

describe('conformance: kubectl, @kubernetes/client-node and python3-kubernetes on three masters', () => {
  let cluster: MasterCluster;
  const results = new Map<string, Json>();

  beforeAll(async () => {
    cluster = await MasterCluster.start(3);
    for (const name of cluster.names) await cluster.waitForApi(name);
    const runs = await Promise.all(
      clients.map((c) => c.run(cluster.kubeconfig, `flotilla-${c.master}`, c.namespace)),
    );
    clients.forEach((c, i) => results.set(c.name, resultOf(c.name, runs[i])));
  }, 240_000);

  afterAll(async () => {
    await cluster?.shutdown();
  });

  describe.each(clients.map((c) => [c.name]))('%s', (name) => {
    const r = () => results.get(name);

    it('ran the whole scenario', () => {
      expect(r().error).toBeUndefined();
    });

    it('creates, reads, updates, lists and deletes', () => {
      expect(r().crud).toEqual({
        got: { k: 'v2' },
        updated: { k: 'v1-updated' },
        listed: ['c1', 'c2'],
        afterDelete: 404,
      });
    });

    it('selects by label (equality and sets) and by field', () => {
      expect(r().selectors).toEqual({
        labelEquals: ['c1'],
        labelIn: ['c1', 'c2'],
        labelNotIn: ['c2'],
        labelExistsAndNot: ['c2'],
        fieldEquals: ['c2'],
        fieldNotEquals: ['c1'],
        both: ['c2'],
      });
    });

    it('patches with merge, JSON, strategic merge and server-side apply', () => {
      const p = r().patches;
      expect(p.merge).toEqual({ k: 'v1-updated', m: 'merged' });
      expect(p.json).toEqual({ k: 'json-patched', m: 'merged' });
      expect(p.apply).toEqual({ k: 'json-patched', m: 'merged', applied: 'yes' });
      expect(p.applyManagers).toContain('conformance/Apply');
      // Strategic merge adds a container by its merge key; a merge patch would replace the list.
      expect(p.strategicContainers).toEqual(['a', 'b']);
    });

    it('watches from a resourceVersion and sees every change after it, in order', () => {
      expect(r().watch.events).toEqual(['ADDED w1', 'MODIFIED w1', 'DELETED w1']);
    });

    it('gets Kubernetes errors: 404 NotFound, 409 AlreadyExists and Conflict, 422 Invalid', () => {
      const e = r().errors;
      expect(e.notFound).toMatchObject({ code: 404, reason: 'NotFound' });
      expect(e.alreadyExists).toMatchObject({ code: 409, reason: 'AlreadyExists' });
      expect(e.conflict).toMatchObject({ code: 409, reason: 'Conflict' });
      expect(e.invalid).toMatchObject({ code: 422, reason: 'Invalid' });
      if (e.invalid.causes) expect(e.invalid.causes).toEqual(['metadata.name']);
    });
  });

  it('all three saw the same facts', () => {
    const facts = (j: Json) =>
      JSON.stringify({
        crud: j.crud,
        selectors: j.selectors,
        watch: j.watch,
        patches: { ...j.patches, applyManagers: undefined },
        errors: Object.fromEntries(
          Object.entries(j.errors as Record<string, Json>).map(([k, v]) => [k, [v.code, v.reason]]),
        ),
      });
    const [first, ...rest] = clients.map((c) => facts(results.get(c.name)));
    for (const other of rest) expect(JSON.parse(other)).toEqual(JSON.parse(first));
  });

  it("each client's objects are visible through the other masters", async () => {
    const out = await cluster.kubectl(['get', 'configmaps', '-A', '-o', 'json'], {
      context: 'flotilla-m3',
    });
    const seen = (JSON.parse(out.stdout) as { items: { metadata: Json }[] }).items
      .filter((i) => i.metadata.namespace.startsWith('conformance-'))
      .map((i) => `${i.metadata.namespace}/${i.metadata.name}`);
    for (const c of clients) expect(seen).toContain(`${c.namespace}/c1`);
  });
});
