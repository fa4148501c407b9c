// rbac.authorization.k8s.io/v1 Role: rules within one namespace. Its declaration carries the
// messages the other RBAC kinds refer to (PolicyRule, Subject, RoleRef).
import { declareKind } from '../declare';
import type { KindModule } from '../kind-module';
import { resource } from '../resource';
import { RBAC, RBAC_GROUP, RBAC_PACKAGE, validateRules } from './policy';

// Field tables: k8s.io/api rbac/v1 generated.proto numbers, types.go omitempty.
const declared = declareKind({
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'Role',
  package: RBAC_PACKAGE,
  prefix: RBAC,
  descriptions: {
    Role: 'Role is a namespaced, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding.',
    PolicyRule:
      'PolicyRule holds information that describes a policy rule, but does not contain information about who the rule applies to or which namespace the rule applies to.',
    Subject:
      'Subject contains a reference to the object or user identities a role binding applies to.',
    RoleRef: 'RoleRef contains information that points to the role being used',
  },
  messages: {
    Role: ['1 metadata ObjectMeta', '2 rules! []PolicyRule atomic'],
    RoleList: ['1 metadata ListMeta', '2 items! []Role'],
    PolicyRule: [
      '1 verbs! []string atomic',
      '2 apiGroups []string atomic',
      '3 resources []string atomic',
      '4 resourceNames []string atomic',
      '5 nonResourceURLs []string atomic',
    ],
    Subject: ['1 kind! string', '2 apiGroup string', '3 name! string', '4 namespace string'],
    RoleRef: ['1 apiGroup! string', '2 kind! string', '3 name! string'],
  },
  atomic: ['RoleRef'],
});

export const roleKind: KindModule = {
  resource: resource(RBAC_GROUP, 'Role', 'roles'),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
  // Kubernetes' ValidateRBACName: any path segment, so the bootstrap roles can be `system:...`.
  nameRule: 'path-segment',
  validate: (o) => validateRules(o, false),
};
