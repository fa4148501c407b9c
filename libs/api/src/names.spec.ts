import { nameProblems } from './names';

describe('name rules', () => {
  it('takes any path segment for path-segment names (RBAC), as Kubernetes does', () => {
    expect(nameProblems('system:kube-scheduler', 'path-segment')).toEqual([]);
    expect(nameProblems('Mixed_Case:ok', 'path-segment')).toEqual([]);
    expect(nameProblems('..', 'path-segment')).toEqual(["may not be '..'"]);
    expect(nameProblems('a/b%c', 'path-segment')).toEqual([
      "may not contain '/'",
      "may not contain '%'",
    ]);
  });

  it('keeps DNS subdomain names strict', () => {
    expect(nameProblems('system:kube-scheduler', 'dns1123-subdomain')).toHaveLength(1);
  });
});
