// @flotilla/pki: the cluster's certificates (CA, serving, peer, client) and their files.
export * from './certificates';
export * from './cluster-pki';
export * from './client-identity';
