// What a plugin answers (the framework's Status): success is `null`, so the common case costs
// nothing; anything else carries a code, the reasons shown to users, and the plugin that said it.

export enum Code {
  /** Something went wrong that is not the pod's or the cluster's fault (retried with back-off). */
  Error = 1,
  /** The pod does not fit, but preemption might make room. */
  Unschedulable = 2,
  /** The pod does not fit, and removing pods would not help (preemption skips the node). */
  UnschedulableAndUnresolvable = 3,
  /** The plugin has nothing to do for this pod (PreFilter / PreScore): skip its later steps. */
  Skip = 5,
  /** The pod waits for something outside the scheduler (a PreEnqueue gate). */
  Pending = 6,
}

export class Status {
  plugin = '';

  constructor(
    readonly code: Code,
    readonly reasons: readonly string[] = [],
  ) {}

  get message(): string {
    return this.reasons.join(', ');
  }

  /** Unschedulable or UnschedulableAndUnresolvable: the pod was turned down, not failed. */
  get isRejected(): boolean {
    return this.code === Code.Unschedulable || this.code === Code.UnschedulableAndUnresolvable;
  }

  withPlugin(name: string): this {
    this.plugin = name;
    return this;
  }

  static unschedulable(...reasons: string[]): Status {
    return new Status(Code.Unschedulable, reasons);
  }

  static unresolvable(...reasons: string[]): Status {
    return new Status(Code.UnschedulableAndUnresolvable, reasons);
  }

  static error(message: string): Status {
    return new Status(Code.Error, [message]);
  }

  static readonly SKIP = Object.freeze(new Status(Code.Skip)) as Status;
}

/** Success, or a Status. */
export type Result = Status | null;
