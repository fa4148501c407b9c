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
});
