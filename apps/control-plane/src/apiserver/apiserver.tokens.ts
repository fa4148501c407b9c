/** The API server's parts (explicit token: the app also runs under tsx, without decorator metadata). */
export const API_SERVER = Symbol('API_SERVER');

/** The bearer-token authenticator, or null when the API is open (no --token-auth-file). */
export const API_AUTHENTICATOR = Symbol('API_AUTHENTICATOR');
