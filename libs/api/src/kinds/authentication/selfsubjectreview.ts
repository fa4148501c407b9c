// authentication.k8s.io/v1 SelfSubjectReview: "who am I?" (kubectl auth whoami), answered for the
// requester and never stored.
import { declareKind } from '../declare';
import type { KindModule } from '../kind-module';
import { resource } from '../resource';
import { AUTHN, AUTHN_PACKAGE } from './names';

const declared = declareKind({
  group: 'authentication.k8s.io',
  version: 'v1',
  kind: 'SelfSubjectReview',
  package: AUTHN_PACKAGE,
  prefix: AUTHN,
  refs: { UserInfo: `${AUTHN}UserInfo` },
  descriptions: {
    SelfSubjectReview:
      'SelfSubjectReview contains the user information that the kube-apiserver has about the user making this request.',
  },
  messages: {
    SelfSubjectReview: ['1 metadata ObjectMeta', '2 status SelfSubjectReviewStatus'],
    SelfSubjectReviewStatus: ['1 userInfo UserInfo'],
  },
});

export const selfSubjectReviewKind: KindModule = {
  resource: resource('authentication.k8s.io', 'SelfSubjectReview', 'selfsubjectreviews', {
    namespaced: false,
    verbs: ['create'],
  }),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
};
