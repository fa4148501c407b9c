import type { ChildHandle, ExitStatus, ProcessSpec, Spawner, Timers } from './spawner';

export interface MemberDefinition {
  name: string;
  process: ProcessSpec;
}

/**
 * running: alive. stopping: asked to stop, not gone yet. stopped: gone because we asked.
 * exited: gone on its own (crashed, or killed from outside).
 */
export type MemberState = 'running' | 'stopping' | 'stopped' | 'exited';

export interface MemberStatus {
  name: string;
  state: MemberState;
  pid: number | undefined;
  lastExit: ExitStatus | undefined;
}

export type SupervisorEvent =
  | { kind: 'started'; name: string; pid: number | undefined }
  | { kind: 'output'; name: string; stream: 'stdout' | 'stderr'; line: string }
  | {
      kind: 'exited';
      name: string;
      exit: ExitStatus;
      expected: boolean;
      /** An unexpected exit under a restart policy: when the member starts again. */
      restartInMs?: number;
      /** Why it stays down although the policy would restart it. */
      keptDown?: string;
    }
  | { kind: 'killing'; name: string; afterMs: number }
  | { kind: 'kept-down'; name: string; reason: string };

/**
 * What happens to a member that dies on its own (as compose's `restart: on-failure`): it starts
 * again after delayMs, twice as long each time it dies within resetAfterMs of starting, at most
 * maxDelayMs.
 */
export interface RestartPolicy {
  delayMs: number;
  maxDelayMs: number;
  resetAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  delayMs: 2000,
  maxDelayMs: 30_000,
  resetAfterMs: 10_000,
};

interface Member {
  definition: MemberDefinition;
  state: MemberState;
  child: ChildHandle | undefined;
  lastExit: ExitStatus | undefined;
  killTimer: unknown;
  waiters: Array<() => void>;
  startedAt: number;
  /** Unexpected exits in a row, each soon after its start: the back-off grows with them. */
  quickDeaths: number;
  restartTimer: unknown;
}

export interface SupervisorOptions {
  spawner: Spawner;
  timers: Timers;
  /** How long a member gets between SIGTERM and SIGKILL. */
  graceMs: number;
  report: (event: SupervisorEvent) => void;
  /** Restart members that die on their own; absent: they stay down until started. */
  restart?: RestartPolicy;
  /** A reason to leave this member down despite the policy (a chaos drill asked for it). */
  keepDown?: (name: string) => string | undefined;
  now?: () => number;
}

/** Starts, stops and restarts named member processes; one member's death never touches the others. */
export class MemberSupervisor {
  private readonly members = new Map<string, Member>();

  constructor(
    definitions: readonly MemberDefinition[],
    private readonly options: SupervisorOptions,
  ) {
    for (const definition of definitions) {
      this.members.set(definition.name, {
        definition,
        state: 'stopped',
        child: undefined,
        lastExit: undefined,
        killTimer: undefined,
        waiters: [],
        startedAt: 0,
        quickDeaths: 0,
        restartTimer: undefined,
      });
    }
  }

  names(): string[] {
    return [...this.members.keys()];
  }

  has(name: string): boolean {
    return this.members.has(name);
  }

  status(): MemberStatus[] {
    return [...this.members.values()].map((m) => ({
      name: m.definition.name,
      state: m.state,
      pid: m.state === 'running' || m.state === 'stopping' ? m.child?.pid : undefined,
      lastExit: m.lastExit,
    }));
  }

  startAll(): void {
    for (const name of this.members.keys()) this.start(name);
  }

  /** Starts a member that is not alive; returns false if it is running or still stopping. */
  start(name: string): boolean {
    const member = this.get(name);
    if (member.state === 'running' || member.state === 'stopping') return false;
    this.cancelRestart(member);
    member.state = 'running';
    member.startedAt = this.now();
    let exited = false;
    let child: ChildHandle | undefined = undefined;
    child = this.options.spawner(member.definition.process, {
      onLine: (stream, line) => this.options.report({ kind: 'output', name, stream, line }),
      onExit: (exit) => {
        if (exited) return;
        exited = true;
        this.onExit(member, child, exit);
      },
    });
    // The spawner may report a failed start synchronously; then the member is already gone.
    if (!exited) {
      member.child = child;
      this.options.report({ kind: 'started', name, pid: child.pid });
    }
    return true;
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves once the member is gone. */
  stop(name: string): Promise<void> {
    const member = this.get(name);
    this.cancelRestart(member);
    if (member.state === 'exited') member.state = 'stopped';
    if (member.state === 'stopped') return Promise.resolve();
    const gone = new Promise<void>((resolve) => member.waiters.push(resolve));
    if (member.state === 'running') {
      member.state = 'stopping';
      member.child?.kill('SIGTERM');
      member.killTimer = this.options.timers.setTimeout(() => {
        member.killTimer = undefined;
        this.options.report({ kind: 'killing', name, afterMs: this.options.graceMs });
        member.child?.kill('SIGKILL');
      }, this.options.graceMs);
    }
    return gone;
  }

  async restart(name: string): Promise<void> {
    await this.stop(name);
    this.start(name);
  }

  /** Starts every member that is not alive (SIGHUP); returns their names. */
  startStopped(): string[] {
    return this.names().filter((name) => this.start(name));
  }

  stopAll(): Promise<void> {
    return Promise.all(this.names().map((name) => this.stop(name))).then(() => undefined);
  }

  /** Skips the grace period: SIGKILL to every member that is alive (a second Ctrl-C). */
  killAll(): void {
    for (const member of this.members.values()) {
      this.cancelRestart(member);
      if (member.state === 'running' || member.state === 'stopping') {
        if (member.state === 'running') member.state = 'stopping';
        member.child?.kill('SIGKILL');
      }
    }
  }

  private onExit(member: Member, child: ChildHandle | undefined, exit: ExitStatus): void {
    // A late exit from a previous incarnation must not change the state of the new one.
    if (member.child !== undefined && child !== undefined && member.child !== child) return;
    const expected = member.state === 'stopping';
    member.state = expected ? 'stopped' : 'exited';
    member.child = undefined;
    member.lastExit = exit;
    if (member.killTimer !== undefined) {
      this.options.timers.clearTimeout(member.killTimer);
      member.killTimer = undefined;
    }
    const name = member.definition.name;
    const policy = this.options.restart;
    // A member that could not even be spawned would only fail again.
    if (expected || !policy || exit.error) {
      this.options.report({ kind: 'exited', name, exit, expected });
    } else {
      const keptDown = this.options.keepDown?.(name);
      if (keptDown) {
        this.options.report({ kind: 'exited', name, exit, expected, keptDown });
      } else {
        const ranMs = this.now() - member.startedAt;
        if (ranMs >= policy.resetAfterMs) member.quickDeaths = 0;
        const delay = Math.min(policy.maxDelayMs, policy.delayMs * 2 ** member.quickDeaths);
        member.quickDeaths++;
        this.options.report({ kind: 'exited', name, exit, expected, restartInMs: delay });
        member.restartTimer = this.options.timers.setTimeout(() => {
          member.restartTimer = undefined;
          if (member.state !== 'exited') return;
          const reason = this.options.keepDown?.(name);
          if (reason) this.options.report({ kind: 'kept-down', name, reason });
          else this.start(name);
        }, delay);
      }
    }
    const waiters = member.waiters.splice(0);
    for (const resolve of waiters) resolve();
  }

  private cancelRestart(member: Member): void {
    if (member.restartTimer === undefined) return;
    this.options.timers.clearTimeout(member.restartTimer);
    member.restartTimer = undefined;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private get(name: string): Member {
    const member = this.members.get(name);
    if (!member) throw new Error(`no member named ${JSON.stringify(name)}`);
    return member;
  }
}
