import { computeHash, equalIgnoreHash } from './deployment-util';

describe('pod templates as the Deployment controller compares them', () => {
  const template = {
    metadata: { labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
  };
  // What `kubectl rollout undo` writes back: the old ReplicaSet's template, hash label removed,
  // with Go's empty timestamp.
  const undone = { ...template, metadata: { ...template.metadata, creationTimestamp: null } };
  const hashed = {
    ...template,
    metadata: { labels: { app: 'web', 'pod-template-hash': computeHash(template) } },
  };

  it('a null creationTimestamp is no value: same template, same hash', () => {
    expect(equalIgnoreHash(hashed, undone)).toBe(true);
    expect(computeHash(undone)).toBe(computeHash(template));
  });

  it('any other difference counts', () => {
    const other = { ...template, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } };
    expect(equalIgnoreHash(hashed, other)).toBe(false);
    expect(computeHash(other)).not.toBe(computeHash(template));
  });
});
