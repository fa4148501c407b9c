// Command-line options of the harness.
import { SYSTEMS, SystemName } from './cluster';
import { FULL, Profile, QUICK } from './profile';

export interface Options {
  profile: Profile;
  /** Start Flotilla members under node --cpu-prof, profiles into bench/results/prof. */
  cpuProf: boolean;
  /** Run only workloads whose name contains one of these (case-insensitive). */
  only: string[];
  systems: SystemName[];
}

export const USAGE = `Usage: npx tsx bench/kv/main.ts [--full] [--cpu-prof] [--only TEXT[,TEXT...]] [--systems flotilla,etcd,...] [--tls]
  --full       the long profile (~10-15 min) instead of the quick one (~3 min)
  --cpu-prof   run Flotilla members under node --cpu-prof (profiles in bench/results/prof)
  --only       only workloads whose name contains TEXT, e.g. --only "put 256B c=64,failover"
  --systems    which targets to start and measure, of flotilla, flotilla-tls, etcd, etcd-tls
               (default flotilla,etcd)
  --tls        all four: each system plain and with TLS and client certificates, side by side`;

export function parseOptions(argv: string[]): Options {
  const options: Options = {
    profile: QUICK,
    cpuProf: false,
    only: [],
    systems: ['flotilla', 'etcd'],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === '--full') options.profile = FULL;
    else if (arg === '--quick') options.profile = QUICK;
    else if (arg === '--cpu-prof') options.cpuProf = true;
    else if (arg === '--tls') options.systems = [...SYSTEMS];
    else if (arg === '--only')
      options.only = value()
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean);
    else if (arg === '--systems') {
      const systems = value()
        .split(',')
        .map((s) => s.trim());
      for (const s of systems) {
        if (!SYSTEMS.includes(s as SystemName)) throw new Error(`unknown system "${s}"\n${USAGE}`);
      }
      options.systems = systems as SystemName[];
    } else if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option "${arg}"\n${USAGE}`);
  }
  return options;
}

export function selected(options: Options, workload: string): boolean {
  const name = workload.toLowerCase();
  return options.only.length === 0 || options.only.some((o) => name.includes(o));
}
