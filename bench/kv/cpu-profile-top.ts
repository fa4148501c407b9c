// Top self-time functions of a V8 .cpuprofile (as written by node --cpu-prof), and the inclusive
// time of named functions (everything under them on the stack), to see what one concern costs.
// Run: npx tsx bench/kv/cpu-profile-top.ts <file.cpuprofile> [count=10] [--inclusive NAME[,NAME...]]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  fn: string;
  where: string;
  ms: number;
  share: number;
}

/** Pseudo-frames that are not work of the process. */
const IDLE = new Set(['(idle)']);

/** Microseconds of each sample (the delta to the next one), per sampled node. */
function sampleTimes(profile: CpuProfile): Map<number, number> {
  const byNode = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const next = profile.timeDeltas[i + 1] ?? 0;
    byNode.set(profile.samples[i], (byNode.get(profile.samples[i]) ?? 0) + next);
  }
  return byNode;
}

/** Self time per function (summed over call sites), from the sample stream. */
export function selfTimes(profile: CpuProfile): SelfTime[] {
  const byNode = sampleTimes(profile);
  const byFunction = new Map<string, SelfTime>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = byNode.get(node.id) ?? 0;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const fn = functionName === '' ? '(anonymous)' : functionName;
    const where = url === '' ? '' : `${url.replace(/^.*node_modules\//, '~/')}:${lineNumber + 1}`;
    const key = `${fn} ${where}`;
    const entry = byFunction.get(key) ?? { fn, where, ms: 0, share: 0 };
    entry.ms += us / 1000;
    byFunction.set(key, entry);
  }
  return [...byFunction.values()]
    .map((e) => ({ ...e, ms: Math.round(e.ms), share: total > 0 ? (e.ms * 1000) / total : 0 }))
    .sort((a, b) => b.ms - a.ms);
}

/**
 * Milliseconds spent in each named function or below it (a recursive call counted once), and
 * the busy total (everything but idle) they are a share of.
 */
export function inclusiveTimes(
  profile: CpuProfile,
  names: string[],
): { busyMs: number; ms: Map<string, number> } {
  const byNode = sampleTimes(profile);
  const parent = new Map<number, ProfileNode>();
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const wanted = new Set(names);
  const ms = new Map(names.map((n) => [n, 0]));
  let busy = 0;
  for (const [id, us] of byNode) {
    const leaf = nodes.get(id);
    if (!leaf || IDLE.has(leaf.callFrame.functionName)) continue;
    busy += us;
    const seen = new Set<string>();
    for (let n: ProfileNode | undefined = leaf; n; n = parent.get(n.id)) {
      const fn = n.callFrame.functionName;
      if (wanted.has(fn) && !seen.has(fn)) {
        seen.add(fn);
        ms.set(fn, ms.get(fn)! + us);
      }
    }
  }
  for (const [k, v] of ms) ms.set(k, Math.round(v / 1000));
  return { busyMs: Math.round(busy / 1000), ms };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--inclusive');
  const inclusive = at >= 0 ? (args.splice(at, 2)[1] ?? '').split(',').filter(Boolean) : [];
  const [file, count] = args;
  if (file === undefined) {
    console.error(
      'usage: npx tsx bench/kv/cpu-profile-top.ts <file.cpuprofile> [count=10] [--inclusive NAME[,NAME...]]',
    );
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  console.log(`${file}: ${seconds.toFixed(1)} s profiled`);
  for (const e of selfTimes(profile).slice(0, Number(count ?? 10))) {
    console.log(
      `${(e.share * 100).toFixed(1).padStart(5)}%  ${String(e.ms).padStart(6)} ms  ${e.fn}  ${e.where}`,
    );
  }
  if (inclusive.length > 0) {
    const { busyMs, ms } = inclusiveTimes(profile, inclusive);
    console.log(`inclusive, of ${busyMs} ms busy:`);
    for (const [fn, t] of ms) {
      const share = busyMs > 0 ? ((t / busyMs) * 100).toFixed(1) : '-';
      console.log(`${share.padStart(5)}%  ${String(t).padStart(6)} ms  ${fn}`);
    }
  }
}
