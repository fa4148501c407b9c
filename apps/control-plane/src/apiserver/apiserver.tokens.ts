/** The API server's parts (explicit token: the app also runs under tsx, without decorator metadata). */
export const API_SERVER = Symbol('API_SERVER');
