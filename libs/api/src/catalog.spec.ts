import {
  RESOURCES,
  apiVersionOf,
  findByKind,
  findResource,
  groupVersions,
  parseApiVersion,
  qualifiedKind,
  qualifiedResource,
  resolveResourceName,
} from './catalog';

describe('catalog', () => {
  it('names the core resources as Kubernetes does', () => {
    const pods = findResource('', 'v1', 'pods')!;
    expect(pods).toMatchObject({
      kind: 'Pod',
      listKind: 'PodList',
      singular: 'pod',
      shortNames: ['po'],
    });
    expect(pods.namespaced).toBe(true);
    expect(pods.categories).toEqual(['all']);
    expect(pods.subresources).toEqual([
      'status',
      'binding',
      'eviction',
      'log',
      'exec',
      'attach',
      'portforward',
    ]);
    expect(findResource('', 'v1', 'nodes')).toMatchObject({
      shortNames: ['no'],
      namespaced: false,
    });
    expect(findResource('', 'v1', 'namespaces')!.verbs).not.toContain('deletecollection');
    expect(findResource('', 'v1', 'endpoints')).toMatchObject({
      singular: 'endpoints',
      shortNames: ['ep'],
    });
    expect(findResource('', 'v1', 'services')).toMatchObject({
      shortNames: ['svc'],
      categories: ['all'],
    });
  });

  it('puts deployments and replicasets in apps/v1 with scale paths', () => {
    const deploy = findByKind('apps/v1', 'Deployment')!;
    expect(deploy.plural).toBe('deployments');
    expect(deploy.shortNames).toEqual(['deploy']);
    expect(deploy.subresources).toEqual(['status', 'scale']);
    expect(deploy.scale?.specReplicasPath).toBe('.spec.replicas');
    expect(findByKind('apps/v1', 'ReplicaSet')!.shortNames).toEqual(['rs']);
    expect(findByKind('v1', 'Deployment')).toBeUndefined();
  });

  it('keeps core and events.k8s.io events apart', () => {
    expect(findByKind('v1', 'Event')!.group).toBe('');
    expect(findByKind('events.k8s.io/v1', 'Event')!.group).toBe('events.k8s.io');
  });

  it('lists group versions core first, each once', () => {
    const gvs = groupVersions().map(apiVersionOf);
    expect(gvs[0]).toBe('v1');
    expect(new Set(gvs).size).toBe(gvs.length);
    expect(gvs).toEqual(
      expect.arrayContaining([
        'apps/v1',
        'discovery.k8s.io/v1',
        'coordination.k8s.io/v1',
        'events.k8s.io/v1',
      ]),
    );
  });

  it('every resource has a list kind and at least get, reviews only create', () => {
    for (const r of RESOURCES) {
      expect(r.listKind).toBe(`${r.kind}List`);
      if (r.kind.endsWith('Review')) expect(r.verbs).toEqual(['create']);
      else expect(r.verbs).toContain('get');
    }
  });

  it('resolves what users type', () => {
    expect(resolveResourceName('po')!.plural).toBe('pods');
    expect(resolveResourceName('deploy')!.group).toBe('apps');
    expect(resolveResourceName('Lease')!.group).toBe('coordination.k8s.io');
    expect(resolveResourceName('ev.events.k8s.io')!.group).toBe('events.k8s.io');
    expect(resolveResourceName('nope')).toBeUndefined();
  });

  it('splits and qualifies names', () => {
    expect(parseApiVersion('apps/v1')).toEqual({ group: 'apps', version: 'v1' });
    expect(parseApiVersion('v1')).toEqual({ group: '', version: 'v1' });
    expect(qualifiedResource({ group: 'apps', plural: 'deployments' })).toBe('deployments.apps');
    expect(qualifiedKind({ group: '', kind: 'Pod' })).toBe('Pod');
  });
});
