// Go's time.ParseDuration for the flags kube-controller-manager takes as durations
// (--leader-elect-lease-duration=15s, --node-monitor-grace-period=40s): "300ms", "1.5s", "2m30s".
import { parseGoDurationMs } from '@flotilla/process';

/** Milliseconds, or an Error in Go's words saying what is wrong with `text`. */
export function parseGoDuration(text: string): number {
  try {
    return parseGoDurationMs(text);
  } catch {
    throw new Error(`time: invalid duration ${JSON.stringify(text)}`);
  }
}
