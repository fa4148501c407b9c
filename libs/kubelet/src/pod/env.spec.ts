import { containerEnv, expand, expandCommand } from './env';
import { MemoryObjectSource } from './object-source';
import { container, pod } from '../testing/fixtures';

const placement = {
  hostIP: '10.231.0.1',
  hostIPs: ['10.231.0.1'],
  podIP: '10.88.0.2',
  podIPs: ['10.88.0.2'],
};
const node = { cpuMilli: 2000, memoryBytes: 8 * 2 ** 30, ephemeralStorageBytes: 2 ** 34 };

describe('environment', () => {
  it.each([
    ['$(A)-$(B)', 'a-$(B)'],
    ['$$(A)', '$(A)'],
    ['cost: $$5', 'cost: $5'],
    ['$(A', '$(A'],
    ['a$b', 'a$b'],
    ['$', '$'],
  ])('expands %j to %j', (input, out) => {
    expect(expand(input, (n) => (n === 'A' ? 'a' : undefined))).toBe(out);
  });

  it('builds envFrom first, then env in order, with references, downward API and resources', async () => {
    const objects = new MemoryObjectSource();
    objects.put({
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'default' },
      data: { A: '1', 'bad key': 'x', B: '2' },
    });
    const p = pod(
      {
        containers: [
          container('app', {
            envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CM_' }],
            env: [
              { name: 'CM_A', value: 'overridden' },
              { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'LABEL', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
              { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              {
                name: 'CPU',
                valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } },
              },
              {
                name: 'MEM',
                valueFrom: { resourceFieldRef: { resource: 'requests.memory', divisor: '1Mi' } },
              },
              { name: 'SAY', value: '$(NAME) at $(IP)' },
              {
                name: 'OPT',
                valueFrom: { configMapKeyRef: { name: 'nope', key: 'x', optional: true } },
              },
            ],
            resources: { requests: { memory: '100Mi' } },
          }),
        ],
      },
      { labels: { app: 'web' } },
    );
    const env = await containerEnv({ pod: p, placement, node, objects }, p.spec.containers[0]);
    expect(Object.fromEntries(env.map((e) => [e.key, e.value]))).toEqual({
      CM_A: 'overridden',
      CM_B: '2',
      NAME: 'web',
      LABEL: 'web',
      IP: '10.88.0.2',
      CPU: '2000',
      MEM: '100',
      SAY: 'web at 10.88.0.2',
      OPT: '',
    });
    expect(
      expandCommand(container('x', { command: ['echo', '$(NAME)'], args: ['$(MISSING)'] }), env),
    ).toEqual({
      command: ['echo', 'web'],
      args: ['$(MISSING)'],
    });
  });

  it('says which object or key is missing', async () => {
    const objects = new MemoryObjectSource();
    objects.put({ kind: 'Secret', metadata: { name: 's', namespace: 'default' }, data: {} });
    const ctx = { pod: pod(), placement, node, objects };
    await expect(
      containerEnv(
        ctx,
        container('a', {
          env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'pw' } } }],
        }),
      ),
    ).rejects.toThrow("couldn't find key pw in Secret default/s");
    await expect(
      containerEnv(ctx, container('a', { envFrom: [{ configMapRef: { name: 'gone' } }] })),
    ).rejects.toThrow('configmap "gone" not found');
    await expect(
      containerEnv(
        ctx,
        container('a', {
          env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.nope' } } }],
        }),
      ),
    ).rejects.toThrow('unsupported fieldPath: spec.nope');
  });
});
