// authentication.k8s.io/v1 TokenRequest: the body of serviceaccounts/<name>/token. Not a resource
// of its own; the TokenReview module carries its table (same group version).
import { declareKind } from '../declare';
import { AUTHN, AUTHN_PACKAGE } from './names';

export const TOKEN_REQUEST = declareKind({
  group: 'authentication.k8s.io',
  version: 'v1',
  kind: 'TokenRequest',
  package: AUTHN_PACKAGE,
  prefix: AUTHN,
  descriptions: {
    TokenRequest: 'TokenRequest requests a token for a given service account.',
  },
  messages: {
    TokenRequest: [
      '1 metadata ObjectMeta',
      '2 spec! TokenRequestSpec',
      '3 status TokenRequestStatus',
    ],
    TokenRequestSpec: [
      '1 audiences! []string atomic',
      '4 expirationSeconds *int64',
      '3 boundObjectRef *BoundObjectReference',
    ],
    BoundObjectReference: ['1 kind string', '2 apiVersion string', '3 name string', '4 uid string'],
    TokenRequestStatus: ['1 token! string', '2 expirationTimestamp! Time'],
  },
});
