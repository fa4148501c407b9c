// The timeline a chaos run prints: events in the order they were seen, each dated in ms after
// the fault, printed the moment they are added so a user watches the failover as it happens.
import { formatEvent, type TimelineEvent, type TimelineKind } from './failover-tracker';

export class Timeline {
  readonly events: TimelineEvent[] = [];
  readonly t0 = Date.now();

  constructor(private readonly print: (line: string) => void) {}

  /** Milliseconds since the timeline began (the fault). */
  readonly since = (): number => Date.now() - this.t0;

  readonly emit = (e: TimelineEvent): void => {
    this.events.push(e);
    this.print(formatEvent(e));
  };

  /** An event dated now. */
  readonly note = (kind: TimelineKind, text: string): void =>
    this.emit({ atMs: this.since(), kind, text });
}
