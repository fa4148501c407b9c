import { apiVersionOf, RESOURCES } from '@flotilla/api';
import {
  aggregatedDiscovery,
  apiGroupDiscoveryList,
  discoveryContentType,
  negotiateDiscovery,
} from './aggregated-discovery';
import { apiGroupList, apiResourceList } from './discovery';

/** What kubectl 1.32 (client-go discovery) sends to /api and /apis. */
const KUBECTL_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,' +
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

// Response bodies are plain JSON; the test reads them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('aggregated discovery negotiation', () => {
  it.each([
    [KUBECTL_ACCEPT, 'v2'],
    ['application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList', 'v2beta1'],
    // parameter order does not matter, spaces are allowed
    ['application/json; as=APIGroupDiscoveryList; v=v2; g=apidiscovery.k8s.io', 'v2'],
    // quality beats order
    [
      'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList;q=0.5,' +
        'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
      'v2',
    ],
    // protobuf is skipped (not produced), the JSON clause after it wins
    [
      'application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,' +
        'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
      'v2',
    ],
    // a conversion this endpoint does not serve is skipped
    [
      'application/json;as=Table;v=v1;g=meta.k8s.io,' +
        'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
      'v2',
    ],
  ])('%s -> %s', (accept, version) => {
    expect(negotiateDiscovery(accept)).toBe(version);
  });

  it.each([
    '',
    'application/json',
    '*/*',
    // the first acceptable clause decides: plain JSON first means legacy
    'application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    'application/json;g=apidiscovery.k8s.io;v=v1;as=APIGroupDiscoveryList',
    'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0',
    'application/yaml;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  ])('%j -> legacy', (accept) => {
    expect(negotiateDiscovery(accept)).toBeUndefined();
  });

  it('names the version in the Content-Type as kube-apiserver does (g, v, as)', () => {
    expect(discoveryContentType('v2')).toBe(
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    );
    expect(discoveryContentType('v2beta1')).toBe(
      'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
    );
  });
});

describe('aggregated discovery documents', () => {
  const core: Json = apiGroupDiscoveryList('api', 'v2');
  const named: Json = apiGroupDiscoveryList('apis', 'v2');

  it('/api holds the core group alone, with the empty name', () => {
    expect(core).toMatchObject({
      kind: 'APIGroupDiscoveryList',
      apiVersion: 'apidiscovery.k8s.io/v2',
      metadata: {},
    });
    expect(core.items).toHaveLength(1);
    expect(core.items[0].metadata).toEqual({});
    expect(core.items[0].versions.map((v: Json) => v.version)).toEqual(['v1']);
    expect(core.items[0].versions[0].freshness).toBe('Current');
  });

  it('/apis holds every named group in the order of the legacy group list', () => {
    expect(named.items.map((g: Json) => g.metadata.name)).toEqual(
      (apiGroupList() as Json).groups.map((g: Json) => g.name),
    );
    expect(named.items.map((g: Json) => g.metadata.name)).toEqual(
      expect.arrayContaining(['apps', 'discovery.k8s.io', 'coordination.k8s.io', 'events.k8s.io']),
    );
  });

  it('describes pods, deployments and namespaces as kube-apiserver does', () => {
    const find = (doc: Json, group: string, resource: string) =>
      doc.items
        .find((g: Json) => (g.metadata.name ?? '') === group)
        .versions[0].resources.find((r: Json) => r.resource === resource);
    expect(find(core, '', 'pods')).toEqual({
      resource: 'pods',
      responseKind: { group: '', version: 'v1', kind: 'Pod' },
      scope: 'Namespaced',
      singularResource: 'pod',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['po'],
      categories: ['all'],
      subresources: [
        {
          subresource: 'status',
          responseKind: { group: '', version: 'v1', kind: 'Pod' },
          verbs: ['get', 'patch', 'update'],
        },
        {
          subresource: 'binding',
          responseKind: { group: '', version: 'v1', kind: 'Binding' },
          verbs: ['create'],
        },
        {
          subresource: 'eviction',
          responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' },
          verbs: ['create'],
        },
        {
          subresource: 'log',
          responseKind: { group: '', version: 'v1', kind: 'Pod' },
          verbs: ['get'],
        },
        {
          subresource: 'exec',
          responseKind: { group: '', version: 'v1', kind: 'PodExecOptions' },
          verbs: ['create', 'get'],
        },
        {
          subresource: 'attach',
          responseKind: { group: '', version: 'v1', kind: 'PodAttachOptions' },
          verbs: ['create', 'get'],
        },
        {
          subresource: 'portforward',
          responseKind: { group: '', version: 'v1', kind: 'PodPortForwardOptions' },
          verbs: ['create', 'get'],
        },
      ],
    });
    expect(find(named, 'apps', 'deployments').subresources).toContainEqual({
      subresource: 'scale',
      responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
      verbs: ['get', 'patch', 'update'],
    });
    const namespaces = find(core, '', 'namespaces');
    expect(namespaces.scope).toBe('Cluster');
    expect(namespaces.verbs).not.toContain('deletecollection');
    // no empty lists: Kubernetes omits them
    const leases = find(named, 'coordination.k8s.io', 'leases');
    expect(Object.keys(leases)).toEqual([
      'resource',
      'responseKind',
      'scope',
      'singularResource',
      'verbs',
    ]);
  });

  it('carries every resource of the catalog, with the verbs and subresources of the legacy lists', () => {
    const seen: string[] = [];
    for (const doc of [core, named]) {
      for (const group of doc.items) {
        const name = group.metadata.name ?? '';
        for (const version of group.versions) {
          const legacy = (apiResourceList(name, version.version) as Json).resources;
          for (const r of version.resources) {
            seen.push(`${apiVersionOf({ group: name, version: version.version })}/${r.resource}`);
            const main = legacy.find((l: Json) => l.name === r.resource);
            expect(r.verbs).toEqual(main.verbs);
            expect(r.scope === 'Namespaced').toBe(main.namespaced);
            expect(r.responseKind.kind).toBe(main.kind);
            const subs = legacy.filter((l: Json) => l.name.startsWith(`${r.resource}/`));
            expect(
              (r.subresources ?? []).map((s: Json) => `${r.resource}/${s.subresource}`),
            ).toEqual(subs.map((l: Json) => l.name));
            for (const s of r.subresources ?? []) {
              const l = subs.find((x: Json) => x.name === `${r.resource}/${s.subresource}`);
              expect(s.verbs).toEqual(l.verbs);
              expect(s.responseKind.kind).toBe(l.kind);
            }
          }
        }
      }
    }
    expect(seen.sort()).toEqual(RESOURCES.map((r) => `${apiVersionOf(r)}/${r.plural}`).sort());
  });

  it('has the same shape in v2beta1, and one ETag for both', () => {
    const beta: Json = apiGroupDiscoveryList('apis', 'v2beta1');
    expect(beta.apiVersion).toBe('apidiscovery.k8s.io/v2beta1');
    expect(beta.items).toEqual(named.items);
    const v2 = aggregatedDiscovery('apis', 'v2');
    const v2beta1 = aggregatedDiscovery('apis', 'v2beta1');
    expect(v2.etag).toMatch(/^"[0-9A-F]{128}"$/);
    expect(v2beta1.etag).toBe(v2.etag);
    expect(v2beta1.contentType).toContain('v=v2beta1');
    expect(aggregatedDiscovery('api', 'v2').etag).not.toBe(v2.etag);
  });
});
