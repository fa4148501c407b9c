// Top self-time functions of a V8 .cpuprofile (as written by node --cpu-prof).
// Run: npx tsx bench/kv/cpu-profile-top.ts <file.cpuprofile> [count=10]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
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

/** Self time per function (summed over call sites), from the sample stream. */
export function selfTimes(profile: CpuProfile): SelfTime[] {
  const byNode = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const next = profile.timeDeltas[i + 1] ?? 0;
    byNode.set(profile.samples[i], (byNode.get(profile.samples[i]) ?? 0) + next);
  }
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

if (require.main === module) {
  const [file, count] = process.argv.slice(2);
  if (file === undefined) {
    console.error('usage: npx tsx bench/kv/cpu-profile-top.ts <file.cpuprofile> [count=10]');
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
}
