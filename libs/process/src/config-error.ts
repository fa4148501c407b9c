/**
 * Bad input from the operator (flags, environment, an unusable port or directory). The entry point
 * prints its message as one line and exits non-zero, without a stack trace.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** `--api-port: "abc" is not a port number`: the message names where the bad value came from. */
export function settingError(source: string, problem: string): ConfigError {
  return new ConfigError(`${source}: ${problem}`);
}
