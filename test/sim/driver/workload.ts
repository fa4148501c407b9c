import type { Entry } from '@flotilla/raft';
import { RaftNodeError } from '@flotilla/raft-node';
import { CompareResult, CompareTarget, StoreError, decodeCommand } from '@flotilla/store';
import { decodeCommand as decodeModelCommand, encodeCommand } from '../kv-state-machine';
import { HistoryRecorder, KvInput, KvOutput, checkKvHistory } from '../linearizability';
import type { SimMember } from './member';
import type { DriverWorld } from './world';

export type Outcome<T> =
  { ok: true; value: T } | { ok: false; error: unknown } | { ok: false; timeout: true };

interface Client {
  id: number;
  member: SimMember;
  seq: number;
  /** Last value seen per key, to aim compare-and-swaps at something real. */
  seen: Map<string, string | undefined>;
}

/** A member's liveness probe after healing: a linearizable read and a write, retried until done. */
interface Probe {
  member: SimMember;
  read: boolean;
  write: boolean;
  attempts: number;
  lastError: string;
}

const PROBE_KEY = 'probe';
const ALL_KEYS = Buffer.from([0]);

/**
 * What the masters serve: clients pinned to one member each (as real clients are) doing
 * linearizable reads, writes, compare-and-swaps and deletes, every call and return recorded for
 * the linearizability check; with the MVCC store, lease clients too. After healing, a probe per
 * member must complete a read and a write, then every member must apply everything and hold
 * the same state, all within the liveness bound.
 */
export class Workload {
  readonly history = new HistoryRecorder<KvInput, KvOutput>();
  readonly stats = {
    operations: 0,
    completed: 0,
    readsCompleted: 0,
    writesCompleted: 0,
    leasesGranted: 0,
    leasesRevoked: 0,
  };
  private phase: 'chaos' | 'liveness' | 'converging' | 'done' = 'chaos';
  private readonly probes: Probe[] = [];
  private readonly openReads = new Set<number>();
  private healedAt = 0;
  private nextLease = 1;
  /** Writes whose outcome the client did not learn, by what identifies their command. */
  private readonly unknown = new Map<string, number>();
  /** When each write's command was first applied anywhere (a position in the history). */
  private readonly appliedAt = new Map<string, { position: number; tick: number }>();

  constructor(private readonly world: DriverWorld) {}

  start(): void {
    const w = this.world;
    for (let i = 0; i < w.cfg.clients; i++) {
      const client: Client = {
        id: i,
        member: w.members[i % w.members.length],
        seq: 0,
        seen: new Map(),
      };
      void this.clientLoop(client);
    }
    for (let i = 0; i < w.cfg.leaseClients; i++)
      void this.leaseLoop(w.members[i % w.members.length]);
  }

  /** Everything healed: every member must now serve a read and a write within the bound. */
  startLiveness(): void {
    const w = this.world;
    this.phase = 'liveness';
    this.healedAt = w.now;
    for (const member of w.members) {
      const probe: Probe = { member, read: false, write: false, attempts: 0, lastError: '' };
      this.probes.push(probe);
      void this.probeLoop(probe, 1000 + this.probes.length);
    }
    w.queue.push(w.now + w.cfg.livenessMs, undefined, () => this.deadline());
  }

  // ------------------------------------------------------------------ clients

  private async clientLoop(c: Client): Promise<void> {
    const w = this.world;
    while (this.phase === 'chaos' || this.phase === 'liveness') {
      await this.sleep(w.rng.float() * w.cfg.thinkMs);
      if (this.phase !== 'chaos' && this.phase !== 'liveness') return;
      const key = `k${w.rng.int(w.cfg.keys)}`;
      const value = `c${c.id}.${++c.seq}`;
      const roll = w.rng.float();
      let input: KvInput;
      if (roll < 0.35) input = { kind: 'put', key, value };
      else if (roll < 0.75) input = { kind: 'get', key };
      else if (roll < 0.9) input = { kind: 'cas', key, expected: c.seen.get(key), next: value };
      else input = { kind: 'delete', key };
      const out = await this.request(c.id, c.seq, c.member, input, w.cfg.clientTimeoutMs);
      if (!out.ok) continue;
      const result = out.value;
      if (result.kind === 'value') c.seen.set(key, result.value);
      else if (input.kind === 'put') c.seen.set(key, input.value);
      else if (input.kind === 'cas' && result.kind === 'cas' && result.applied)
        c.seen.set(key, input.next);
    }
  }

  private async probeLoop(p: Probe, clientId: number): Promise<void> {
    const w = this.world;
    let seq = 0;
    while (this.phase === 'liveness' && !(p.read && p.write)) {
      p.attempts++;
      const input: KvInput = p.read
        ? { kind: 'put', key: PROBE_KEY, value: `p${clientId}.${seq + 1}` }
        : { kind: 'get', key: PROBE_KEY };
      const out = await this.request(clientId, ++seq, p.member, input, 1_000);
      if (out.ok) {
        if (input.kind === 'get') p.read = true;
        else p.write = true;
        continue;
      }
      p.lastError = 'timeout' in out ? 'timed out' : errorText(out.error);
      await this.sleep(50);
    }
    if (this.phase === 'liveness' && this.probes.every((x) => x.read && x.write)) {
      this.phase = 'converging';
      w.log(
        `LIVE every member served a read and a write ${(w.now - this.healedAt).toFixed(0)} ms after healing`,
      );
      void this.converge();
    }
  }

  /** One key-value operation through a member, recorded in the history. */
  async request(
    clientId: number,
    seq: number,
    m: SimMember,
    input: KvInput,
    timeoutMs: number,
  ): Promise<Outcome<KvOutput>> {
    const w = this.world;
    const handle = this.history.invoke(clientId, input, w.now);
    this.stats.operations++;
    if (w.cfg.trace) w.log(`client ${clientId} -> ${m.id}: #${handle} ${describe(input)}`);
    if (input.kind === 'get') this.openReads.add(handle);
    let ended = false;
    const end = (out: Outcome<KvOutput>) => {
      if (ended) return;
      ended = true;
      if (w.cfg.trace) {
        const what = out.ok
          ? JSON.stringify(out.value)
          : 'timeout' in out
            ? 'timeout'
            : errorText(out.error);
        w.log(`client ${clientId} <- ${m.id}: #${handle} ${what}`);
      }
      if (input.kind === 'get') this.openReads.delete(handle);
      if (out.ok) {
        if (input.kind !== 'get') this.unknown.delete(this.identity(clientId, seq, input) ?? '');
        this.history.complete(handle, out.value, w.now);
        this.stats.completed++;
        if (input.kind === 'get') this.stats.readsCompleted++;
        else this.stats.writesCompleted++;
      } else if (input.kind === 'get' || definitelyNoEffect((out as { error: unknown }).error)) {
        this.history.discard(handle);
      } else {
        // Any other failed write may or may not have taken effect: it stays open, and the
        // applied log says at the end whether (and by when) it did.
        const id = this.identity(clientId, seq, input);
        if (id !== undefined) this.unknown.set(id, handle);
      }
    };
    const out = await this.call(m, (mm) => this.execute(mm, clientId, seq, input), timeoutMs, end);
    // Timed out: the operation stays open, and an answer that comes later still ends it.
    if (!out.ok && 'timeout' in out) {
      w.log(`client ${clientId} on ${m.id} gives up on ${describe(input)}`);
      const id = input.kind === 'get' ? undefined : this.identity(clientId, seq, input);
      if (id !== undefined) this.unknown.set(id, handle);
    } else end(out);
    return out;
  }

  private async execute(
    m: SimMember,
    client: number,
    seq: number,
    input: KvInput,
  ): Promise<KvOutput> {
    const node = m.node!;
    if (m.model) {
      const model = m.model;
      if (input.kind === 'get') {
        await node.readBarrier();
        return { kind: 'value', value: model.read(input.key) };
      }
      const out = (await node.propose(encodeCommand({ input, client, seq }))) as
        KvOutput | undefined;
      if (out === undefined) throw new Error('command had no effect (a duplicate)');
      return out;
    }
    const r = m.replicated!;
    const key = Buffer.from(input.key);
    switch (input.kind) {
      case 'get': {
        const res = await r.range({ key });
        return { kind: 'value', value: res.kvs[0]?.value.toString() };
      }
      case 'put':
        await r.put({ key, value: Buffer.from(input.value) });
        return { kind: 'ok' };
      case 'delete':
        await r.deleteRange({ key });
        return { kind: 'ok' };
      case 'cas': {
        const res = await r.txn({
          compare: [
            input.expected === undefined
              ? {
                  key,
                  target: CompareTarget.CREATE,
                  result: CompareResult.EQUAL,
                  createRevision: 0,
                }
              : {
                  key,
                  target: CompareTarget.VALUE,
                  result: CompareResult.EQUAL,
                  value: Buffer.from(input.expected),
                },
          ],
          success: [{ requestPut: { key, value: Buffer.from(input.next) } }],
          failure: [],
        });
        return { kind: 'cas', applied: res.succeeded };
      }
    }
  }

  /**
   * Sends `run` to a member as a client request: it travels the network, runs in the member's
   * process (waiting while it is paused, lost if it crashes), and its answer travels back. The
   * client stops waiting after `timeoutMs`; `late` still hears an answer that comes after.
   */
  private call<T>(
    m: SimMember,
    run: (m: SimMember) => Promise<T>,
    timeoutMs: number,
    late?: (out: Outcome<T>) => void,
  ): Promise<Outcome<T>> {
    const w = this.world;
    return new Promise((resolve) => {
      const proc = m.process;
      if (!m.up || !proc) {
        resolve({ ok: false, error: REFUSED });
        return;
      }
      let waiting = true;
      const answer = (out: Outcome<T>) => {
        w.queue.push(w.now + w.net.delay(), undefined, () => {
          if (waiting) {
            waiting = false;
            resolve(out);
          } else late?.(out);
        });
      };
      proc.after(w.net.delay(), () => {
        if (m.process !== proc || !m.up) return;
        run(m).then(
          (value) => answer({ ok: true, value }),
          (error: unknown) => answer({ ok: false, error }),
        );
      });
      w.queue.push(w.now + timeoutMs, undefined, () => {
        if (!waiting) return;
        waiting = false;
        resolve({ ok: false, timeout: true });
      });
    });
  }

  private sleep(ms: number): Promise<void> {
    return this.world.sleep(ms);
  }

  // ------------------------------------------------------------------ leases

  /** Grants short leases, attaches a key to each, keeps some alive a while, then lets them go. */
  private async leaseLoop(m: SimMember): Promise<void> {
    const w = this.world;
    while (this.phase === 'chaos') {
      await this.sleep(100 + w.rng.float() * 500);
      if (this.phase !== 'chaos') return;
      const id = this.nextLease++;
      const ttl = 1 + w.rng.int(2);
      const granted = await this.call(m, (mm) => mm.replicated!.leaseGrant(ttl, id), 2_000);
      if (!granted.ok) continue;
      this.stats.leasesGranted++;
      const key = Buffer.from(`lease-${id}`);
      await this.call(m, (mm) => mm.replicated!.put({ key, value: key, lease: id }), 2_000);
      const keepAlives = w.rng.int(4);
      for (let k = 0; k < keepAlives && this.phase === 'chaos'; k++) {
        await this.sleep(300);
        await this.call(m, (mm) => mm.leases!.keepAlive(id), 1_000);
      }
    }
  }

  // ------------------------------------------------------------------ the end

  /** Waits until every member applied everything the leader committed, then compares states. */
  private async converge(): Promise<void> {
    const w = this.world;
    while (this.phase === 'converging') {
      await this.sleep(50);
      if (this.phase !== 'converging') return;
      const leader = w.leader();
      if (!leader || !w.members.every((m) => m.up && !m.paused)) continue;
      const lead = leader.node!.status();
      const commit = lead.commit;
      // Quiet: everything committed is applied everywhere, nothing is uncommitted or in flight.
      if (lead.lastIndex !== commit) continue;
      if (!w.members.every((m) => m.node!.status().applied === commit)) continue;
      if (w.members.some((m) => m.node!.status().pendingProposals > 0)) continue;
      if (w.members.some((m) => (m.store?.leases().length ?? 0) > 0)) continue;
      const states = await Promise.all(w.members.map((m) => this.digest(m)));
      if (this.phase !== 'converging') return;
      if (!w.members.every((m) => m.node!.status().applied === commit)) continue;
      const differ = states.findIndex((s) => s !== states[0]);
      if (differ > 0) {
        w.fail(
          `state divergence at applied index ${commit}: ${w.members[0].id} holds ${states[0]}, ` +
            `${w.members[differ].id} holds ${states[differ]}`,
        );
        return;
      }
      this.stats.leasesRevoked = w.members[0].store ? this.stats.leasesGranted : 0;
      w.log(`CONVERGED at index ${commit} ${(w.now - this.healedAt).toFixed(0)} ms after healing`);
      this.phase = 'done';
      w.finished = true;
    }
  }

  private async digest(m: SimMember): Promise<string> {
    if (m.model) return Buffer.from(m.model.snapshotState()).toString();
    const res = await m.store!.range({ key: ALL_KEYS, rangeEnd: ALL_KEYS });
    return JSON.stringify(
      res.kvs.map((kv) => [kv.key.toString(), kv.value.toString(), kv.modRevision, kv.version]),
    );
  }

  private deadline(): void {
    const w = this.world;
    if (this.phase === 'done' || w.failure !== undefined) return;
    const waiting = this.probes
      .filter((p) => !(p.read && p.write))
      .map(
        (p) =>
          `${p.member.id} (${p.read ? 'read ok' : 'no read'}, ${p.write ? 'write ok' : 'no write'}, ` +
          `${p.attempts} attempts, last: ${p.lastError})`,
      );
    const states = w.members.map((m) => {
      if (!m.up || !m.node) return `${m.id}: down`;
      const s = m.node.status();
      return `${m.id}: ${s.role} term ${s.term} lead ${s.lead || '-'} commit ${s.commit} applied ${s.applied} pending ${s.pendingProposals} read retries ${m.node.readRetries}`;
    });
    const what =
      waiting.length > 0
        ? `members did not complete a linearizable read and a write: ${waiting.join('; ')}`
        : this.phase === 'converging'
          ? 'members did not converge (apply everything committed, expire every lease)'
          : 'not done';
    w.fail(
      `liveness: ${w.cfg.livenessMs} ms after healing, ${what}. Members: ${states.join('; ')}`,
    );
  }

  /**
   * What identifies a write's command in the log: the client and its sequence number (model),
   * or the value it writes, unique per operation (MVCC; a delete carries none).
   */
  private identity(client: number, seq: number, input: KvInput): string | undefined {
    if (this.world.cfg.store === 'model') return `${client}:${seq}`;
    if (input.kind === 'put') return `v:${input.value}`;
    if (input.kind === 'cas') return `v:${input.next}`;
    return undefined;
  }

  /** An entry applied for the first time by any member: the write in it has taken effect. */
  applied(e: Entry): void {
    if (e.type !== 'normal' || e.data.byteLength === 0) return;
    const ids: string[] = [];
    if (this.world.cfg.store === 'model') {
      const cmd = decodeModelCommand(e.data);
      if (cmd) ids.push(`${cmd.client}:${cmd.seq}`);
    } else {
      const cmd = decodeCommand(e.data);
      if (cmd.type === 'put') ids.push(`v:${Buffer.from(cmd.request.value ?? []).toString()}`);
      if (cmd.type === 'txn')
        for (const op of cmd.request.success ?? [])
          if ('requestPut' in op)
            ids.push(`v:${Buffer.from(op.requestPut.value ?? []).toString()}`);
    }
    for (const id of ids)
      if (!this.appliedAt.has(id))
        this.appliedAt.set(id, { position: this.history.mark(), tick: this.world.now });
  }

  /**
   * Runs the linearizability check over everything the clients saw. Writes whose outcome the
   * client never learned are settled from the applied log first: one applied took effect by the
   * time it was first applied; one never applied (the cluster is quiet: nothing is in flight)
   * had no effect. This keeps open operations, which the search must try everywhere, few.
   */
  checkHistory(): void {
    for (const handle of this.openReads) this.history.discard(handle);
    this.openReads.clear();
    for (const [id, handle] of this.unknown) {
      const at = this.appliedAt.get(id);
      if (at) this.history.bound(handle, at.position, at.tick);
      else this.history.discard(handle);
    }
    this.unknown.clear();
    const result = checkKvHistory(this.history.operations(), { maxSteps: 200_000_000 });
    if (!result.ok)
      this.world.fail(
        `linearizability (${result.status}) on key ${result.key}: ${result.explanation}`,
      );
  }
}

/** The member was down: the request never reached it. */
const REFUSED = Symbol('connection refused');

/** Errors that say the write was certainly not applied. */
function definitelyNoEffect(error: unknown): boolean {
  if (error === REFUSED) return true;
  if (error instanceof StoreError) return true;
  return error instanceof RaftNodeError && error.code === 'too-many-requests';
}

function errorText(e: unknown): string {
  if (e === REFUSED) return 'refused (member down)';
  return e instanceof Error ? e.message : String(e);
}

function describe(input: KvInput): string {
  switch (input.kind) {
    case 'put':
      return `put(${input.key},${input.value})`;
    case 'get':
      return `get(${input.key})`;
    case 'cas':
      return `cas(${input.key},${input.expected}->${input.next})`;
    case 'delete':
      return `delete(${input.key})`;
  }
}
