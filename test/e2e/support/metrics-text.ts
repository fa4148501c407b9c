/**
 * The value of one sample in Prometheus text exposition, or undefined when absent.
 * `labels` must match the sample's label set exactly as printed (e.g. `{member="m1"}`), or be
 * omitted for a sample without labels.
 */
export function sampleValue(text: string, name: string, labels = ''): number | undefined {
  const prefix = `${name}${labels} `;
  for (const line of text.split('\n')) {
    if (line.startsWith(prefix)) return Number(line.slice(prefix.length).trim().split(' ')[0]);
  }
  return undefined;
}
