// Finding and ending processes by what they are (a command line naming our socket), never by a
// broad name: other users of the machine run containerd too.
import { promises as fs } from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  cmdline: string[];
}

export async function listProcesses(): Promise<ProcInfo[]> {
  const out: ProcInfo[] = [];
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const [stat, cmd] = await Promise.all([
        fs.readFile(`/proc/${name}/stat`, 'utf8'),
        fs.readFile(`/proc/${name}/cmdline`, 'utf8'),
      ]);
      // The command name in parentheses may hold spaces; ppid is the second field after it.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.push({ pid: Number(name), ppid, cmdline: cmd.split('\0').filter(Boolean) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export function descendants(all: ProcInfo[], pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const out: number[] = [];
  const stack = [...(children.get(pid) ?? [])];
  while (stack.length) {
    const next = stack.pop()!;
    out.push(next);
    stack.push(...(children.get(next) ?? []));
  }
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILLs pid and everything below it. */
export async function killTree(pid: number): Promise<void> {
  const all = await listProcesses();
  for (const p of [...descendants(all, pid).reverse(), pid]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Waits up to timeoutMs for pid to end; true if it did. */
export async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}
