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
  | { kind: 'exited'; name: string; exit: ExitStatus; expected: boolean }
  | { kind: 'killing'; name: string; afterMs: number };

interface Member {
  definition: MemberDefinition;
  state: MemberState;
  child: ChildHandle | undefined;
  lastExit: ExitStatus | undefined;
  killTimer: unknown;
  waiters: Array<() => void>;
}

export interface SupervisorOptions {
  spawner: Spawner;
  timers: Timers;
  /** How long a member gets between SIGTERM and SIGKILL. */
  graceMs: number;
  report: (event: SupervisorEvent) => void;
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
    member.state = 'running';
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
    if (member.state === 'stopped' || member.state === 'exited') return Promise.resolve();
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
    this.options.report({ kind: 'exited', name: member.definition.name, exit, expected });
    const waiters = member.waiters.splice(0);
    for (const resolve of waiters) resolve();
  }

  private get(name: string): Member {
    const member = this.members.get(name);
    if (!member) throw new Error(`no member named ${JSON.stringify(name)}`);
    return member;
  }
}
