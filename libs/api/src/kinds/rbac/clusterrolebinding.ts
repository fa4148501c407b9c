// rbac.authorization.k8s.io/v1 ClusterRoleBinding: grants a ClusterRole across the cluster.
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
  kind: 'ClusterRoleBinding',
  package: RBAC_PACKAGE,
  prefix: RBAC,
  refs: RBAC_REFS,
  descriptions: {
    ClusterRoleBinding:
      'ClusterRoleBinding references a ClusterRole, but not contain it. It can reference a ClusterRole in the global namespace, and adds who information via Subject.',
  },
  messages: {
    ClusterRoleBinding: [
      '1 metadata ObjectMeta',
      '2 subjects []Subject atomic',
      '3 roleRef! RoleRef',
    ],
    ClusterRoleBindingList: ['1 metadata ListMeta', '2 items! []ClusterRoleBinding'],
  },
});

export const clusterRoleBindingKind: KindModule = {
  resource: resource(RBAC_GROUP, 'ClusterRoleBinding', 'clusterrolebindings', {
    namespaced: false,
  }),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
  // Kubernetes' ValidateRBACName: any path segment, so the bootstrap roles can be `system:...`.
  nameRule: 'path-segment',
  validate: (o) => validateBinding(o, false),
  validateUpdate: validateBindingUpdate,
};
