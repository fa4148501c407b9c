import { requestAttributes } from '../auth/authorizer';
import { parseApiPath, verbOf } from './request-info';

describe('parseApiPath', () => {
  it.each([
    ['/api', { kind: 'versions' }],
    ['/apis', { kind: 'groups' }],
    ['/apis/apps', { kind: 'group', group: 'apps' }],
    ['/api/v1', { kind: 'resources', group: '', version: 'v1' }],
    ['/apis/apps/v1', { kind: 'resources', group: 'apps', version: 'v1' }],
    ['/metrics', { kind: 'unknown' }],
  ])('%s', (path, expected) => {
    expect(parseApiPath(path)).toEqual(expected);
  });

  it('reads namespaced collections, objects and subresources', () => {
    expect(parseApiPath('/api/v1/namespaces/ns1/pods/p/status')).toEqual({
      kind: 'resource',
      info: {
        group: '',
        version: 'v1',
        namespace: 'ns1',
        resource: 'pods',
        name: 'p',
        subresource: 'status',
        watchPath: false,
      },
    });
    expect(parseApiPath('/apis/apps/v1/deployments')).toMatchObject({
      info: { group: 'apps', resource: 'deployments', namespace: undefined, name: undefined },
    });
  });

  it('treats /namespaces/<name> and its status as the namespace object', () => {
    expect(parseApiPath('/api/v1/namespaces/ns1')).toMatchObject({
      info: { resource: 'namespaces', name: 'ns1' },
    });
    expect(parseApiPath('/api/v1/namespaces/ns1/status')).toMatchObject({
      info: { resource: 'namespaces', name: 'ns1', subresource: 'status' },
    });
  });

  it('understands the legacy /watch/ prefix', () => {
    const p = parseApiPath('/api/v1/watch/namespaces/x/pods');
    expect(p).toMatchObject({ info: { namespace: 'x', resource: 'pods', watchPath: true } });
    if (p.kind === 'resource') expect(verbOf('GET', p.info, false)).toBe('watch');
  });

  it('maps methods to verbs', () => {
    const coll = { group: '', version: 'v1', resource: 'pods', watchPath: false };
    const one = { ...coll, name: 'x' };
    expect(verbOf('GET', coll, false)).toBe('list');
    expect(verbOf('GET', coll, true)).toBe('watch');
    expect(verbOf('GET', one, false)).toBe('get');
    expect(verbOf('DELETE', coll, false)).toBe('deletecollection');
    expect(verbOf('DELETE', one, false)).toBe('delete');
    expect(verbOf('PATCH', one, false)).toBe('patch');
  });

  it('reads nodes/<name>/proxy/<path...> as subresource proxy of the node, whatever follows', () => {
    for (const path of [
      '/api/v1/nodes/w1/proxy',
      '/api/v1/nodes/w1/proxy/',
      '/api/v1/nodes/w1/proxy/metrics',
      '/api/v1/nodes/w1/proxy/stats/summary/deep/',
    ]) {
      expect(parseApiPath(path)).toEqual({
        kind: 'resource',
        info: {
          group: '',
          version: 'v1',
          namespace: undefined,
          resource: 'nodes',
          name: 'w1',
          subresource: 'proxy',
          watchPath: false,
        },
      });
    }
    // Only a proxy goes deeper than resource/name/subresource.
    expect(parseApiPath('/api/v1/nodes/w1/status/more')).toEqual({ kind: 'unknown' });
  });
});

describe('the attributes of a nodes/proxy request, as Kubernetes maps its methods', () => {
  const user = { name: 'jane', groups: [] };
  it.each([
    ['GET', 'get'],
    ['HEAD', 'get'],
    ['POST', 'create'],
    ['PUT', 'update'],
    ['PATCH', 'patch'],
    ['DELETE', 'delete'],
    ['OPTIONS', ''],
  ])('%s is verb "%s" on nodes/proxy', (method, verb) => {
    expect(requestAttributes(user, method, '/api/v1/nodes/w1/proxy/pods', false)).toEqual({
      kind: 'resource',
      user,
      verb,
      apiGroup: '',
      apiVersion: 'v1',
      resource: 'nodes',
      subresource: 'proxy',
      namespace: '',
      name: 'w1',
    });
  });

  it('a watch parameter is passed on, not a watch of nodes', () => {
    expect(requestAttributes(user, 'GET', '/api/v1/nodes/w1/proxy/pods', true)).toMatchObject({
      verb: 'get',
      subresource: 'proxy',
    });
  });
});
