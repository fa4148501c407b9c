// authorization.k8s.io/v1 SelfSubjectAccessReview: "may I do this?" (kubectl auth can-i), answered
// for the requester and never stored.
import { declareKind } from '../declare';
import type { KindModule } from '../kind-module';
import { resource } from '../resource';
import { AUTHZ, AUTHZ_PACKAGE, AUTHZ_REFS } from './subjectaccessreview';

const declared = declareKind({
  group: 'authorization.k8s.io',
  version: 'v1',
  kind: 'SelfSubjectAccessReview',
  package: AUTHZ_PACKAGE,
  prefix: AUTHZ,
  refs: AUTHZ_REFS,
  descriptions: {
    SelfSubjectAccessReview:
      'SelfSubjectAccessReview checks whether or the current user can perform an action.',
  },
  messages: {
    SelfSubjectAccessReview: [
      '1 metadata ObjectMeta',
      '2 spec! SelfSubjectAccessReviewSpec',
      '3 status SubjectAccessReviewStatus',
    ],
    SelfSubjectAccessReviewSpec: [
      '1 resourceAttributes *ResourceAttributes',
      '2 nonResourceAttributes *NonResourceAttributes',
    ],
  },
});

export const selfSubjectAccessReviewKind: KindModule = {
  resource: resource(
    'authorization.k8s.io',
    'SelfSubjectAccessReview',
    'selfsubjectaccessreviews',
    { namespaced: false, verbs: ['create'] },
  ),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
};
