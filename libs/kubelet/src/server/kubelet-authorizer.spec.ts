import {
  AccessReviewer,
  KubeletAuthorizer,
  KubeletUser,
  NodeAttributes,
  nodeAttributes,
  subjectAccessReview,
} from './kubelet-authorizer';

const prometheus: KubeletUser = {
  name: 'system:prometheus',
  groups: ['system:monitoring', 'system:authenticated'],
};
const apiServer: KubeletUser = {
  name: 'kube-apiserver-kubelet-client',
  groups: ['system:masters', 'system:authenticated'],
};

describe('the attributes of a kubelet request', () => {
  it.each([
    ['GET', '/metrics', false, 'get', 'metrics'],
    ['GET', '/metrics/cadvisor', false, 'get', 'metrics'],
    ['GET', '/metrics/resource', false, 'get', 'metrics'],
    ['HEAD', '/metrics', false, 'get', 'metrics'],
    ['GET', '/stats/summary', false, 'get', 'stats'],
    ['GET', '/logs/syslog', false, 'get', 'log'],
    ['GET', '/spec/', false, 'get', 'spec'],
    ['GET', '/configz', false, 'get', 'configz'],
    ['GET', '/pods', false, 'get', 'proxy'],
    ['GET', '/containerLogs/default/web/app', false, 'get', 'proxy'],
    ['POST', '/exec/default/web/app', false, 'create', 'proxy'],
    ['GET', '/exec/default/web/app', true, 'create', 'proxy'],
    ['POST', '/portForward/default/web', true, 'create', 'proxy'],
    ['PUT', '/pods', false, 'update', 'proxy'],
    ['PATCH', '/pods', false, 'patch', 'proxy'],
    ['DELETE', '/pods', false, 'delete', 'proxy'],
  ])('%s %s (upgrade %s) is %s nodes/%s', (method, path, upgrade, verb, subresource) => {
    expect(nodeAttributes(method, path, 'w1', upgrade)).toEqual({
      verb,
      resource: 'nodes',
      subresource,
      name: 'w1',
    });
  });

  it('asks the masters with a SubjectAccessReview on this Node', () => {
    expect(subjectAccessReview(prometheus, nodeAttributes('GET', '/metrics', 'w2'))).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: {},
      spec: {
        user: 'system:prometheus',
        groups: ['system:monitoring', 'system:authenticated'],
        resourceAttributes: {
          verb: 'get',
          group: '',
          version: 'v1',
          resource: 'nodes',
          subresource: 'metrics',
          name: 'w2',
        },
      },
    });
  });
});

describe('the kubelet authorizer', () => {
  const metrics = nodeAttributes('GET', '/metrics', 'w1');
  const pods = nodeAttributes('GET', '/pods', 'w1');

  /** A reviewer that allows nodes/metrics only, and counts what it was asked. */
  function reviewer(): { review: AccessReviewer; asked: NodeAttributes[] } {
    const asked: NodeAttributes[] = [];
    return {
      asked,
      review: async (_user, attrs) => {
        asked.push(attrs);
        return { allowed: attrs.subresource === 'metrics' };
      },
    };
  }

  it('allows what the review allows and forbids the rest with the kubelet message', async () => {
    const { review } = reviewer();
    const authz = new KubeletAuthorizer({ review });
    expect(await authz.authorize(prometheus, metrics)).toEqual({ allowed: true });
    expect(await authz.authorize(prometheus, pods)).toEqual({
      allowed: false,
      message: 'Forbidden (user=system:prometheus, verb=get, resource=nodes, subresource=proxy)',
    });
  });

  it('lets system:masters in without asking, even with no masters to ask', async () => {
    const { review, asked } = reviewer();
    expect(await new KubeletAuthorizer({ review }).authorize(apiServer, pods)).toEqual({
      allowed: true,
    });
    expect(asked).toEqual([]);
    expect(await new KubeletAuthorizer().authorize(apiServer, pods)).toEqual({ allowed: true });
  });

  it('forbids everyone else when it has no masters to ask', async () => {
    const decision = await new KubeletAuthorizer().authorize(prometheus, metrics);
    expect(decision.allowed).toBe(false);
  });

  it('caches answers for their TTL: allowed longer than denied', async () => {
    let now = 0;
    const { review, asked } = reviewer();
    const authz = new KubeletAuthorizer({
      review,
      now: () => now,
      allowedTtlMs: 1000,
      deniedTtlMs: 100,
    });
    await authz.authorize(prometheus, metrics);
    await authz.authorize(prometheus, pods);
    now = 50;
    await authz.authorize(prometheus, metrics);
    await authz.authorize(prometheus, pods);
    expect(asked).toHaveLength(2);
    now = 500;
    await authz.authorize(prometheus, metrics);
    await authz.authorize(prometheus, pods);
    expect(asked.map((a) => a.subresource)).toEqual(['metrics', 'proxy', 'proxy']);
    now = 1500;
    await authz.authorize(prometheus, metrics);
    expect(asked).toHaveLength(4);
  });

  it('keeps users apart in the cache', async () => {
    const { review, asked } = reviewer();
    const authz = new KubeletAuthorizer({ review });
    await authz.authorize(prometheus, metrics);
    await authz.authorize({ name: 'bob', groups: ['system:authenticated'] }, metrics);
    expect(asked).toHaveLength(2);
  });

  it('forbids, says why and does not cache when the masters cannot be asked', async () => {
    let calls = 0;
    const authz = new KubeletAuthorizer({
      review: async () => {
        calls++;
        if (calls === 1) throw new Error('connect ECONNREFUSED');
        return { allowed: true };
      },
    });
    expect(await authz.authorize(prometheus, metrics)).toEqual({
      allowed: false,
      message:
        'Forbidden (user=system:prometheus, verb=get, resource=nodes, subresource=metrics): ' +
        'the masters could not be asked: connect ECONNREFUSED',
    });
    expect(await authz.authorize(prometheus, metrics)).toEqual({ allowed: true });
  });
});
