// The node agent's Nest wiring of its networking: informers over a (fake) API server feed the
// agent's DNS records. Only what does not touch this machine's own network is switched on here
// (the netns tests run kube-proxy, the pod network and DNS for real).
import { FakeCluster, type SharedInformerFactory } from '@flotilla/client';
import { port, service } from '@flotilla/kube-proxy/testing/fixtures';
import { NodeNetworkAgent, SERVICES } from '@flotilla/node-network';
import { memorySink } from '@flotilla/observability';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNodeAgentConfig } from '../config/node-agent-config';
import { startNodeAgent } from '../start-node-agent';
import { NETWORK_INFORMERS } from './network.module';

describe('node agent networking wiring', () => {
  it('feeds the agent from informers once it starts, and stops them with the app', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-net-'));
    const cluster = new FakeCluster();
    const web = service('demo', 'web', { clusterIP: '10.96.0.20', ports: [port(80)] });
    web.metadata.managedFields = [
      { manager: 'kubectl-expose', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1' },
    ];
    await cluster.resource(SERVICES, 'demo').create(web);
    const parsed = parseNodeAgentConfig(
      [
        '--name',
        'w1',
        '--data-dir',
        dir,
        '--api-port',
        '1',
        '--proxy-mode',
        'none',
        '--cni-conf-dir',
        'off',
        '--cluster-dns',
        'off',
      ],
      {},
      { cwd: dir, hostname: 'w1' },
    );
    if (parsed.help) throw new Error('unexpected help');
    const started = await startNodeAgent(
      { ...parsed.config, apiPort: 0 },
      { logSink: memorySink() },
      cluster,
    );
    try {
      const agent = started.app.get(NodeNetworkAgent);
      const resolves = async (name: string) => {
        for (let i = 0; i < 200; i++) {
          if (agent.records.lookup(name, 'A').answers.length > 0) return true;
          await new Promise((r) => setTimeout(r, 10));
        }
        return false;
      };
      expect(await resolves('web.demo.svc.cluster.local')).toBe(true);
      // Cached without managedFields: nothing in kube-proxy or DNS reads them.
      const informers = started.app.get<symbol, SharedInformerFactory>(NETWORK_INFORMERS);
      const cached = informers.informerFor(SERVICES).lister.get('web', 'demo');
      expect(cached?.spec).toMatchObject({ clusterIP: '10.96.0.20' });
      expect(cached?.metadata).not.toHaveProperty('managedFields');
      await cluster
        .resource(SERVICES, 'demo')
        .create(service('demo', 'late', { clusterIP: '10.96.0.21', ports: [port(80)] }));
      expect(await resolves('late.demo.svc.cluster.local')).toBe(true);
    } finally {
      await started.app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
