// authentication.k8s.io/v1 TokenReview: "whose is this token?", answered by the API server and
// never stored (create is its only verb). Its table also carries UserInfo (SelfSubjectReview
// refers to it) and TokenRequest (the serviceaccounts/token body).
import { declareKind } from '../declare';
import type { KindModule } from '../kind-module';
import { resource } from '../resource';
import { AUTHN, AUTHN_PACKAGE } from './names';
import { TOKEN_REQUEST } from './tokenrequest';

// Field tables: k8s.io/api authentication/v1 generated.proto numbers, types.go omitempty. The
// `extra` map (of ExtraValue) is left out.
const declared = declareKind({
  group: 'authentication.k8s.io',
  version: 'v1',
  kind: 'TokenReview',
  package: AUTHN_PACKAGE,
  prefix: AUTHN,
  descriptions: {
    TokenReview:
      'TokenReview attempts to authenticate a token to a known user. Note: TokenReview requests may be cached by the webhook token authenticator plugin in the kube-apiserver.',
    UserInfo:
      'UserInfo holds the information about the user needed to implement the user.Info interface.',
  },
  messages: {
    TokenReview: ['1 metadata ObjectMeta', '2 spec! TokenReviewSpec', '3 status TokenReviewStatus'],
    TokenReviewSpec: ['1 token string', '2 audiences []string atomic'],
    TokenReviewStatus: [
      '1 authenticated bool',
      '2 user UserInfo',
      '4 audiences []string atomic',
      '3 error string',
    ],
    UserInfo: ['1 username string', '2 uid string', '3 groups []string atomic'],
  },
});

export const tokenReviewKind: KindModule = {
  resource: resource('authentication.k8s.io', 'TokenReview', 'tokenreviews', {
    namespaced: false,
    verbs: ['create'],
  }),
  definitions: { ...declared.definitions, ...TOKEN_REQUEST.definitions },
  protobuf: {
    package: AUTHN_PACKAGE,
    messages: { ...declared.protobuf.messages, ...TOKEN_REQUEST.protobuf.messages },
  },
  protobufKinds: ['TokenRequest'],
};
