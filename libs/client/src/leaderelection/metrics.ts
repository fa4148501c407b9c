import { Gauge, Histogram, type Registry } from 'prom-client';

interface Family {
  status: Gauge;
  takeover: Histogram;
}

const families = new WeakMap<Registry, Family>();

/** leader_election_master_status{name} as client-go's, and how long each takeover took. */
export function electionMetrics(registry: Registry): Family {
  let f = families.get(registry);
  if (!f) {
    f = {
      status: new Gauge({
        name: 'leader_election_master_status',
        help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease. Please make sure to group by name.",
        labelNames: ['name'],
        registers: [registry],
      }),
      takeover: new Histogram({
        name: 'leader_election_takeover_seconds',
        help: 'Time from the last sign of life of the previous holder (its last lease change this candidate saw) to this candidate acquiring the lease.',
        labelNames: ['name'],
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 10, 15, 30, 60],
        registers: [registry],
      }),
    };
    families.set(registry, f);
  }
  return f;
}
