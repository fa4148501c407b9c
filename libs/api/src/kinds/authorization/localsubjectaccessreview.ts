// authorization.k8s.io/v1 LocalSubjectAccessReview: a SubjectAccessReview within one namespace,
// answered and never stored.
import { declareKind } from '../declare';
import type { KindModule } from '../kind-module';
import { resource } from '../resource';
import { AUTHZ, AUTHZ_PACKAGE, AUTHZ_REFS } from './subjectaccessreview';

const declared = declareKind({
  group: 'authorization.k8s.io',
  version: 'v1',
  kind: 'LocalSubjectAccessReview',
  package: AUTHZ_PACKAGE,
  prefix: AUTHZ,
  refs: AUTHZ_REFS,
  descriptions: {
    LocalSubjectAccessReview:
      'LocalSubjectAccessReview checks whether or not a user or group can perform an action in a given namespace.',
  },
  messages: {
    LocalSubjectAccessReview: [
      '1 metadata ObjectMeta',
      '2 spec! SubjectAccessReviewSpec',
      '3 status SubjectAccessReviewStatus',
    ],
  },
});

export const localSubjectAccessReviewKind: KindModule = {
  resource: resource(
    'authorization.k8s.io',
    'LocalSubjectAccessReview',
    'localsubjectaccessreviews',
    { verbs: ['create'] },
  ),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
};
