// Who a request is from, as Kubernetes' authenticators hand it on: a name, a uid, groups, and
// extra attributes (a service-account token's pod).

export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export const ANONYMOUS_USER = 'system:anonymous';
export const UNAUTHENTICATED_GROUP = 'system:unauthenticated';
export const AUTHENTICATED_GROUP = 'system:authenticated';
/** Allowed everything by the authorizer itself, before RBAC: the break-glass group. */
export const MASTERS_GROUP = 'system:masters';
export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';
export const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';
export const SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';

/** The master's own components over the in-process transport. */
export const APISERVER_USER: UserInfo = {
  name: 'system:apiserver',
  groups: [MASTERS_GROUP, AUTHENTICATED_GROUP],
};
export const SCHEDULER_USER: UserInfo = {
  name: 'system:kube-scheduler',
  groups: [AUTHENTICATED_GROUP],
};
export const CONTROLLER_MANAGER_USER: UserInfo = {
  name: 'system:kube-controller-manager',
  groups: [AUTHENTICATED_GROUP],
};

/** Who every request is in the insecure mode, as on kube-apiserver's old insecure port. */
export const INSECURE_USER: UserInfo = {
  name: 'system:unsecured',
  groups: [MASTERS_GROUP, AUTHENTICATED_GROUP],
};

export const ANONYMOUS: UserInfo = { name: ANONYMOUS_USER, groups: [UNAUTHENTICATED_GROUP] };

/** Every authenticated user is also in system:authenticated, as Kubernetes adds it. */
export function authenticated(user: UserInfo): UserInfo {
  if (user.groups.includes(AUTHENTICATED_GROUP)) return user;
  return { ...user, groups: [...user.groups, AUTHENTICATED_GROUP] };
}

/** `system:serviceaccount:<ns>:<name>` → { namespace, name }. */
export function serviceAccountOf(
  user: Pick<UserInfo, 'name'>,
): { namespace: string; name: string } | undefined {
  if (!user.name.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const [namespace, name, ...rest] = user.name.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
  if (!namespace || !name || rest.length > 0) return undefined;
  return { namespace, name };
}

/** `system:node:<name>` in system:nodes → the node's name. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.name.startsWith(NODE_USER_PREFIX))
    return undefined;
  const name = user.name.slice(NODE_USER_PREFIX.length);
  return name === '' ? undefined : name;
}
