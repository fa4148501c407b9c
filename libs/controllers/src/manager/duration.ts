// Go's time.ParseDuration for the flags kube-controller-manager takes as durations
// (--leader-elect-lease-duration=15s, --node-monitor-grace-period=40s): "300ms", "1.5s", "2m30s".

const UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds, or an Error saying what is wrong with `text`. */
export function parseGoDuration(text: string): number {
  const s = text.trim();
  if (s === '0') return 0;
  const term = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let at = 0;
  let total = 0;
  const sign = s.startsWith('-') ? -1 : 1;
  if (s.startsWith('-') || s.startsWith('+')) at = 1;
  if (at >= s.length) throw new Error(`time: invalid duration ${JSON.stringify(text)}`);
  while (at < s.length) {
    term.lastIndex = at;
    const m = term.exec(s);
    if (!m) throw new Error(`time: invalid duration ${JSON.stringify(text)}`);
    total += Number(m[1]) * UNITS_MS[m[2]];
    at = term.lastIndex;
  }
  return sign * total;
}
