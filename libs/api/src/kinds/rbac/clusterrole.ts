// rbac.authorization.k8s.io/v1 ClusterRole: rules across the cluster, or gathered from other
// ClusterRoles by label (aggregation).
import { declareKind } from '../declare';
import type { KindModule } from '../kind-module';
import { resource } from '../resource';
import { RBAC, RBAC_GROUP, RBAC_PACKAGE, RBAC_REFS, validateRules } from './policy';

const declared = declareKind({
  group: RBAC_GROUP,
  version: 'v1',
  kind: 'ClusterRole',
  package: RBAC_PACKAGE,
  prefix: RBAC,
  refs: RBAC_REFS,
  descriptions: {
    ClusterRole:
      'ClusterRole is a cluster level, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding or ClusterRoleBinding.',
    AggregationRule:
      'AggregationRule describes how to locate ClusterRoles to aggregate into the ClusterRole',
  },
  messages: {
    ClusterRole: [
      '1 metadata ObjectMeta',
      '2 rules! []PolicyRule atomic',
      '3 aggregationRule *AggregationRule',
    ],
    ClusterRoleList: ['1 metadata ListMeta', '2 items! []ClusterRole'],
    AggregationRule: ['1 clusterRoleSelectors []LabelSelector atomic'],
  },
});

export const clusterRoleKind: KindModule = {
  resource: resource(RBAC_GROUP, 'ClusterRole', 'clusterroles', { namespaced: false }),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
  // Kubernetes' ValidateRBACName: any path segment, so the bootstrap roles can be `system:...`.
  nameRule: 'path-segment',
  validate: (o) => validateRules(o, true),
};
