/** How to run one member: a command line. */
export interface ProcessSpec {
  command: string;
  args: string[];
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

export interface SpawnCallbacks {
  onLine(stream: 'stdout' | 'stderr', line: string): void;
  /** Called exactly once, also when the process could not be started (then `error` is set). */
  onExit(exit: ExitStatus): void;
}

export interface ExitStatus {
  code: number | null;
  signal: string | null;
  error?: string;
}

/** A running child; kill() reaches everything it started, not only the process itself. */
export interface ChildHandle {
  readonly pid: number | undefined;
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
}

/** Injected into the supervisor, so its rules are tested with a fake and no real processes. */
export type Spawner = (spec: ProcessSpec, callbacks: SpawnCallbacks) => ChildHandle;

/** Injected timers: the supervisor's grace period runs on a fake clock in tests. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
