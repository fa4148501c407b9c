// authorization.k8s.io/v1 SubjectAccessReview: "may this user do this?", answered from the request
// by the API server and never stored (create is its only verb). Its declaration carries the
// messages the other access reviews refer to.
import { declareKind } from '../declare';
import type { KindModule } from '../kind-module';
import { resource } from '../resource';

export const AUTHZ = 'io.k8s.api.authorization.v1.';
export const AUTHZ_PACKAGE = 'k8s.io.api.authorization.v1';
export const AUTHZ_REFS = {
  SubjectAccessReviewSpec: `${AUTHZ}SubjectAccessReviewSpec`,
  SubjectAccessReviewStatus: `${AUTHZ}SubjectAccessReviewStatus`,
  ResourceAttributes: `${AUTHZ}ResourceAttributes`,
  NonResourceAttributes: `${AUTHZ}NonResourceAttributes`,
};

// Field tables: k8s.io/api authorization/v1 generated.proto numbers, types.go omitempty. The
// `extra` map (of ExtraValue) and the selector fields of ResourceAttributes are left out.
const declared = declareKind({
  group: 'authorization.k8s.io',
  version: 'v1',
  kind: 'SubjectAccessReview',
  package: AUTHZ_PACKAGE,
  prefix: AUTHZ,
  descriptions: {
    SubjectAccessReview:
      'SubjectAccessReview checks whether or not a user or group can perform an action.',
  },
  messages: {
    SubjectAccessReview: [
      '1 metadata ObjectMeta',
      '2 spec! SubjectAccessReviewSpec',
      '3 status SubjectAccessReviewStatus',
    ],
    SubjectAccessReviewSpec: [
      '1 resourceAttributes *ResourceAttributes',
      '2 nonResourceAttributes *NonResourceAttributes',
      '3 user string',
      '4 groups []string atomic',
      '6 uid string',
    ],
    ResourceAttributes: [
      '1 namespace string',
      '2 verb string',
      '3 group string',
      '4 version string',
      '5 resource string',
      '6 subresource string',
      '7 name string',
    ],
    NonResourceAttributes: ['1 path string', '2 verb string'],
    SubjectAccessReviewStatus: [
      '1 allowed! bool',
      '4 denied bool',
      '2 reason string',
      '3 evaluationError string',
    ],
  },
});

export const subjectAccessReviewKind: KindModule = {
  resource: resource('authorization.k8s.io', 'SubjectAccessReview', 'subjectaccessreviews', {
    namespaced: false,
    verbs: ['create'],
  }),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
};
