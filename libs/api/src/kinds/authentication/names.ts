// The OpenAPI prefix and protobuf package of authentication.k8s.io/v1.
export const AUTHN = 'io.k8s.api.authentication.v1.';
export const AUTHN_PACKAGE = 'k8s.io.api.authentication.v1';
