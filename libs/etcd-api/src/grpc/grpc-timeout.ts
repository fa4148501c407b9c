// The grpc-timeout request header (gRPC over HTTP/2, "Requests"): at most 8 ASCII digits and a
// unit, H M S m u n. A malformed one ends the call with INTERNAL, as grpc-go's server does.

const UNIT_MS: Readonly<Record<string, number>> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 1e-3,
  n: 1e-6,
};

/** The timeout in milliseconds, or why the value is malformed. */
export function parseGrpcTimeout(value: string): { ms: number } | { error: string } {
  if (value.length < 2) return { error: `timeout string is too short: ${JSON.stringify(value)}` };
  if (value.length > 9) return { error: `timeout string is too long: ${JSON.stringify(value)}` };
  const unit = UNIT_MS[value[value.length - 1]];
  if (unit === undefined) {
    return { error: `timeout unit is not recognized: ${JSON.stringify(value)}` };
  }
  let amount = 0;
  for (let i = 0; i < value.length - 1; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) {
      return { error: `timeout value is not a number: ${JSON.stringify(value)}` };
    }
    amount = amount * 10 + digit;
  }
  return { ms: amount * unit };
}
