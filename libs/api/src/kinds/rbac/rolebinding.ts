// rbac.authorization.k8s.io/v1 RoleBinding: grants a Role or ClusterRole within one namespace.
import { declareKind } from '../declare';
import type { KindModule } from '../kind-module';
import { resource } from '../resource';
import {
  RBAC,
  RBAC_GROUP,
  RBAC_PACKAGE,
  RBAC_REFS,
  validateBinding,
  validateBindingUpdate,
} from './policy';

const declared = declareKind({
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'RoleBinding',
  package: RBAC_PACKAGE,
  prefix: RBAC,
  refs: RBAC_REFS,
  descriptions: {
    RoleBinding:
      'RoleBinding references a role, but does not contain it. It can reference a Role in the same namespace or a ClusterRole in the global namespace.',
  },
  messages: {
    RoleBinding: ['1 metadata ObjectMeta', '2 subjects []Subject atomic', '3 roleRef! RoleRef'],
    RoleBindingList: ['1 metadata ListMeta', '2 items! []RoleBinding'],
  },
});

export const roleBindingKind: KindModule = {
  resource: resource(RBAC_GROUP, 'RoleBinding', 'rolebindings'),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
  // Kubernetes' ValidateRBACName: any path segment, so the bootstrap roles can be `system:...`.
  nameRule: 'path-segment',
  validate: (o) => validateBinding(o, true),
  validateUpdate: validateBindingUpdate,
};
