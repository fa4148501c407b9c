import { MemberSupervisor, RestartPolicy, SupervisorEvent } from './member-supervisor';
import type { ChildHandle, ExitStatus, ProcessSpec, SpawnCallbacks, Timers } from './spawner';

/** A child that only does what the test tells it to. */
class FakeChild implements ChildHandle {
  readonly signals: string[] = [];
  constructor(
    readonly pid: number,
    readonly spec: ProcessSpec,
    private readonly callbacks: SpawnCallbacks,
  ) {}
  kill(signal: 'SIGTERM' | 'SIGKILL'): void {
    this.signals.push(signal);
  }
  print(line: string): void {
    this.callbacks.onLine('stdout', line);
  }
  exit(status: ExitStatus): void {
    this.callbacks.onExit(status);
  }
}

/** Timers that fire only when the test advances them. */
class FakeTimers implements Timers {
  private pending: { at: number; fn: () => void; id: number }[] = [];
  now = 0;
  private nextId = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.push({ at: this.now + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((t) => t.id !== handle);
  }
  advance(ms: number): void {
    this.now += ms;
    const due = this.pending.filter((t) => t.at <= this.now);
    this.pending = this.pending.filter((t) => t.at > this.now);
    for (const t of due) t.fn();
  }
  get count(): number {
    return this.pending.length;
  }
}

function setup(
  names = ['m1', 'm2', 'm3'],
  extra: { restart?: RestartPolicy; keepDown?: (name: string) => string | undefined } = {},
) {
  const children: FakeChild[] = [];
  const events: SupervisorEvent[] = [];
  const timers = new FakeTimers();
  let nextPid = 100;
  const supervisor = new MemberSupervisor(
    names.map((name) => ({ name, process: { command: 'node', args: [name] } })),
    {
      spawner: (spec, callbacks) => {
        const child = new FakeChild(nextPid++, spec, callbacks);
        children.push(child);
        return child;
      },
      timers,
      graceMs: 10_000,
      report: (e) => events.push(e),
      now: () => timers.now,
      ...extra,
    },
  );
  const latest = (name: string) => [...children].reverse().find((c) => c.spec.args[0] === name)!;
  const flush = () => new Promise((resolve) => setImmediate(resolve));
  return { supervisor, children, events, timers, latest, flush };
}

describe('MemberSupervisor', () => {
  it('starts every member with its own command and reports its output by name', () => {
    const { supervisor, children, events } = setup();
    supervisor.startAll();
    expect(children.map((c) => c.spec.args)).toEqual([['m1'], ['m2'], ['m3']]);
    children[1].print('hello');
    expect(events).toContainEqual({ kind: 'output', name: 'm2', stream: 'stdout', line: 'hello' });
    expect(supervisor.status().map((s) => [s.name, s.state, s.pid])).toEqual([
      ['m1', 'running', 100],
      ['m2', 'running', 101],
      ['m3', 'running', 102],
    ]);
  });

  it('reports a member that dies on its own and leaves the others running', () => {
    const { supervisor, latest, events } = setup();
    supervisor.startAll();
    latest('m2').exit({ code: null, signal: 'SIGKILL' });
    expect(events).toContainEqual({
      kind: 'exited',
      name: 'm2',
      exit: { code: null, signal: 'SIGKILL' },
      expected: false,
    });
    expect(supervisor.status().map((s) => s.state)).toEqual(['running', 'exited', 'running']);
    expect(latest('m1').signals).toEqual([]);
    expect(latest('m3').signals).toEqual([]);
  });

  it('stops with SIGTERM and does not escalate when the member exits in time', async () => {
    const { supervisor, latest, timers } = setup();
    supervisor.startAll();
    const stopped = supervisor.stop('m1');
    expect(latest('m1').signals).toEqual(['SIGTERM']);
    latest('m1').exit({ code: 0, signal: null });
    await stopped;
    timers.advance(60_000);
    expect(latest('m1').signals).toEqual(['SIGTERM']);
    expect(timers.count).toBe(0);
    expect(supervisor.status()[0].state).toBe('stopped');
  });

  it('sends SIGKILL after the grace period to a member that ignores SIGTERM', async () => {
    const { supervisor, latest, timers, events, flush } = setup();
    supervisor.startAll();
    let done = false;
    void supervisor.stop('m2').then(() => (done = true));
    timers.advance(9_999);
    expect(latest('m2').signals).toEqual(['SIGTERM']);
    timers.advance(1);
    expect(latest('m2').signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(events).toContainEqual({ kind: 'killing', name: 'm2', afterMs: 10_000 });
    await flush();
    expect(done).toBe(false);
    latest('m2').exit({ code: null, signal: 'SIGKILL' });
    await flush();
    expect(done).toBe(true);
  });

  it('restarts a member as a new process once the old one is gone', async () => {
    const { supervisor, latest, children, flush } = setup();
    supervisor.startAll();
    const old = latest('m2');
    const restarted = supervisor.restart('m2');
    await flush();
    expect(children).toHaveLength(3); // not started while the old one still runs
    old.exit({ code: 0, signal: null });
    await restarted;
    expect(children).toHaveLength(4);
    expect(latest('m2')).not.toBe(old);
    expect(supervisor.status()[1]).toMatchObject({ state: 'running', pid: latest('m2').pid });
  });

  it('ignores a late exit of a previous incarnation', async () => {
    const { supervisor, latest } = setup(['m1']);
    supervisor.startAll();
    const old = latest('m1');
    const stopping = supervisor.stop('m1');
    old.exit({ code: 0, signal: null });
    await stopping;
    supervisor.start('m1');
    old.exit({ code: 1, signal: null });
    expect(supervisor.status()[0].state).toBe('running');
  });

  it('starts only the members that are not running (SIGHUP)', () => {
    const { supervisor, latest } = setup();
    supervisor.startAll();
    latest('m3').exit({ code: 1, signal: null });
    expect(supervisor.startStopped()).toEqual(['m3']);
    expect(supervisor.startStopped()).toEqual([]);
  });

  it('refuses to start a member that is already running', () => {
    const { supervisor, children } = setup();
    supervisor.startAll();
    expect(supervisor.start('m1')).toBe(false);
    expect(children).toHaveLength(3);
  });

  it('stops all members and resolves only when every one has exited', async () => {
    const { supervisor, children, flush } = setup();
    supervisor.startAll();
    children[0].exit({ code: 1, signal: null }); // already dead: nothing to wait for
    let done = false;
    void supervisor.stopAll().then(() => (done = true));
    expect(children.map((c) => c.signals)).toEqual([[], ['SIGTERM'], ['SIGTERM']]);
    children[1].exit({ code: 0, signal: null });
    await flush();
    expect(done).toBe(false);
    children[2].exit({ code: 0, signal: null });
    await flush();
    expect(done).toBe(true);
  });

  it('kills everything at once on request (a second Ctrl-C)', () => {
    const { supervisor, children } = setup();
    supervisor.startAll();
    void supervisor.stopAll();
    supervisor.killAll();
    expect(children.map((c) => c.signals)).toEqual([
      ['SIGTERM', 'SIGKILL'],
      ['SIGTERM', 'SIGKILL'],
      ['SIGTERM', 'SIGKILL'],
    ]);
  });

  it('reports a member that could not be started at all', () => {
    const events: SupervisorEvent[] = [];
    const supervisor = new MemberSupervisor([{ name: 'm1', process: { command: 'x', args: [] } }], {
      spawner: (_spec, callbacks) => {
        callbacks.onExit({ code: null, signal: null, error: 'spawn x ENOENT' });
        return { pid: undefined, kill: () => undefined };
      },
      timers: new FakeTimers(),
      graceMs: 1000,
      report: (e) => events.push(e),
    });
    supervisor.startAll();
    expect(events).toEqual([
      {
        kind: 'exited',
        name: 'm1',
        exit: { code: null, signal: null, error: 'spawn x ENOENT' },
        expected: false,
      },
    ]);
    expect(supervisor.status()[0].state).toBe('exited');
  });

  describe("restart policy (as compose's on-failure)", () => {
    const policy = { delayMs: 2000, maxDelayMs: 8000, resetAfterMs: 10_000 };

    it('starts a member that died on its own again after the back-off, and says so first', () => {
      const { supervisor, events, timers, latest, children } = setup(['m1'], { restart: policy });
      supervisor.startAll();
      timers.advance(60_000);
      latest('m1').exit({ code: null, signal: 'SIGKILL' });
      expect(events.at(-1)).toEqual({
        kind: 'exited',
        name: 'm1',
        exit: { code: null, signal: 'SIGKILL' },
        expected: false,
        restartInMs: 2000,
      });
      timers.advance(1999);
      expect(children).toHaveLength(1);
      timers.advance(1);
      expect(children).toHaveLength(2);
      expect(supervisor.status()[0]).toMatchObject({ state: 'running', pid: 101 });
    });

    it('doubles the back-off while the member keeps dying young, up to the cap, and resets it after a good run', () => {
      const { supervisor, events, timers, latest } = setup(['m1'], { restart: policy });
      supervisor.startAll();
      const delays: number[] = [];
      for (let i = 0; i < 4; i++) {
        latest('m1').exit({ code: 1, signal: null });
        const e = events.at(-1) as { restartInMs: number };
        delays.push(e.restartInMs);
        timers.advance(e.restartInMs);
      }
      expect(delays).toEqual([2000, 4000, 8000, 8000]);
      timers.advance(10_000);
      latest('m1').exit({ code: 1, signal: null });
      expect(events.at(-1)).toMatchObject({ restartInMs: 2000 });
    });

    it('leaves a member down when asked to (a chaos drill), and when stopped on purpose', () => {
      const held = new Set(['m2']);
      const { supervisor, events, timers, latest, children } = setup(['m1', 'm2'], {
        restart: policy,
        keepDown: (name) => (held.has(name) ? 'flotilla chaos --no-restart' : undefined),
      });
      supervisor.startAll();
      latest('m2').exit({ code: null, signal: 'SIGKILL' });
      expect(events.at(-1)).toMatchObject({
        kind: 'exited',
        keptDown: 'flotilla chaos --no-restart',
      });
      // Held after the exit, before the back-off is over: still kept down.
      latest('m1').exit({ code: null, signal: 'SIGKILL' });
      held.add('m1');
      timers.advance(2000);
      expect(events.at(-1)).toEqual({
        kind: 'kept-down',
        name: 'm1',
        reason: 'flotilla chaos --no-restart',
      });
      expect(children).toHaveLength(2);
      // A stop (console, Ctrl-C) cancels a pending restart.
      held.clear();
      supervisor.start('m1');
      latest('m1').exit({ code: 1, signal: null });
      void supervisor.stop('m1');
      timers.advance(60_000);
      expect(supervisor.status()[0].state).toBe('stopped');
      expect(children).toHaveLength(3);
    });

    it('does not restart a member that could not be spawned', () => {
      const events: SupervisorEvent[] = [];
      const timers = new FakeTimers();
      const supervisor = new MemberSupervisor(
        [{ name: 'm1', process: { command: 'x', args: [] } }],
        {
          spawner: (_spec, callbacks) => {
            callbacks.onExit({ code: null, signal: null, error: 'spawn x ENOENT' });
            return { pid: undefined, kill: () => undefined };
          },
          timers,
          graceMs: 1000,
          report: (e) => events.push(e),
          restart: policy,
        },
      );
      supervisor.startAll();
      expect(timers.count).toBe(0);
      expect(events).toHaveLength(1);
    });
  });
});
