/** metav1.MicroTime as JSON: RFC 3339 with six fractional digits, UTC. */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
