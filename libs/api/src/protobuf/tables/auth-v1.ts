// Field tables of k8s.io/api authorization/v1 and authentication/v1 (the reviews kubectl auth
// can-i and whoami send, TokenReview and TokenRequest): numbers, names and types from their
// generated.proto, omitempty from their types.go. The `extra` maps (of ExtraValue) are left out.
// Notation: see ../schema.ts.
import type { MessageTable } from '../schema';

export const AUTHORIZATION_V1: MessageTable = {
  package: 'k8s.io.api.authorization.v1',
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
    SubjectAccessReview: [
      '1 metadata ObjectMeta',
      '2 spec! SubjectAccessReviewSpec',
      '3 status SubjectAccessReviewStatus',
    ],
    LocalSubjectAccessReview: [
      '1 metadata ObjectMeta',
      '2 spec! SubjectAccessReviewSpec',
      '3 status SubjectAccessReviewStatus',
    ],
    SubjectAccessReviewSpec: [
      '1 resourceAttributes *ResourceAttributes',
      '2 nonResourceAttributes *NonResourceAttributes',
      '3 user string',
      '4 groups []string',
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
};

export const AUTHENTICATION_V1: MessageTable = {
  package: 'k8s.io.api.authentication.v1',
  messages: {
    SelfSubjectReview: ['1 metadata ObjectMeta', '2 status SelfSubjectReviewStatus'],
    SelfSubjectReviewStatus: ['1 userInfo UserInfo'],
    UserInfo: ['1 username string', '2 uid string', '3 groups []string'],
    TokenReview: ['1 metadata ObjectMeta', '2 spec! TokenReviewSpec', '3 status TokenReviewStatus'],
    TokenReviewSpec: ['1 token string', '2 audiences []string'],
    TokenReviewStatus: [
      '1 authenticated bool',
      '2 user UserInfo',
      '4 audiences []string',
      '3 error string',
    ],
    TokenRequest: [
      '1 metadata ObjectMeta',
      '2 spec! TokenRequestSpec',
      '3 status TokenRequestStatus',
    ],
    TokenRequestSpec: [
      '1 audiences! []string',
      '4 expirationSeconds *int64',
      '3 boundObjectRef *BoundObjectReference',
    ],
    BoundObjectReference: ['1 kind string', '2 apiVersion string', '3 name string', '4 uid string'],
    TokenRequestStatus: ['1 token! string', '2 expirationTimestamp! Time'],
  },
};
