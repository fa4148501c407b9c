import { KvInput, KvOutput } from './linearizability';

/** A command as it travels in a Raft entry: the client's operation plus who asked. */
export interface KvCommand {
  input: KvInput;
  client: number;
  seq: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(cmd: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(cmd));
}

export function decodeCommand(data: Uint8Array): KvCommand | undefined {
  if (data.byteLength === 0) return undefined;
  return JSON.parse(decoder.decode(data)) as KvCommand;
}

/**
 * The small replicated state machine of the simulation: a map of string keys to values.
 * It keeps a session per client (Raft thesis 6.3) so that a command delivered twice (a
 * duplicated or retried proposal) takes effect once and answers with its first result.
 */
export class KvStateMachine {
  private data = new Map<string, string>();
  private sessions = new Map<number, { seq: number; out: KvOutput | undefined }>();
  appliedIndex = 0;

  apply(index: number, cmd: KvCommand | undefined): KvOutput | undefined {
    this.appliedIndex = index;
    if (!cmd) return undefined;
    const session = this.sessions.get(cmd.client);
    if (session && cmd.seq <= session.seq) return cmd.seq === session.seq ? session.out : undefined;
    const out = this.execute(cmd);
    this.sessions.set(cmd.client, { seq: cmd.seq, out });
    return out;
  }

  private execute(cmd: KvCommand): KvOutput | undefined {
    const input = cmd.input;
    switch (input.kind) {
      case 'put':
        this.data.set(input.key, input.value);
        return { kind: 'ok' };
      case 'delete':
        this.data.delete(input.key);
        return { kind: 'ok' };
      case 'cas': {
        const applied = this.data.get(input.key) === input.expected;
        if (applied) this.data.set(input.key, input.next);
        return { kind: 'cas', applied };
      }
      case 'get':
        return { kind: 'value', value: this.data.get(input.key) };
    }
  }

  read(key: string): string | undefined {
    return this.data.get(key);
  }

  snapshot(): Uint8Array {
    const entries = [...this.data.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const sessions = [...this.sessions.entries()].sort(([a], [b]) => a - b);
    return encoder.encode(JSON.stringify({ index: this.appliedIndex, entries, sessions }));
  }

  static restore(bytes: Uint8Array): KvStateMachine {
    const sm = new KvStateMachine();
    if (bytes.byteLength === 0) return sm;
    const parsed = JSON.parse(decoder.decode(bytes)) as {
      index: number;
      entries: [string, string][];
      sessions: [number, { seq: number; out: KvOutput | undefined }][];
    };
    sm.appliedIndex = parsed.index;
    sm.data = new Map(parsed.entries);
    sm.sessions = new Map(parsed.sessions);
    return sm;
  }
}
