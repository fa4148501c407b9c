// kube-scheduler's metrics, under its names and labels, on the registry the caller hands in.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface SchedulerMetrics {
  /** result: scheduled | unschedulable | error. */
  scheduleAttempts: Counter<'result' | 'profile'>;
  /** From the pod's first attempt to its binding, without time spent gated. */
  podSchedulingSli: Histogram<'attempts'>;
  schedulingAttemptDuration: Histogram<'result' | 'profile'>;
  pendingPods: Gauge<'queue'>;
  preemptionAttempts: Counter;
  preemptionVictims: Histogram;
}

const families = new WeakMap<Registry, SchedulerMetrics>();

const exponential = (start: number, factor: number, count: number): number[] =>
  Array.from({ length: count }, (_, i) => start * factor ** i);

export function schedulerMetrics(registry: Registry): SchedulerMetrics {
  let m = families.get(registry);
  if (m) return m;
  m = {
    scheduleAttempts: new Counter({
      name: 'scheduler_schedule_attempts_total',
      help: "Number of attempts to schedule pods, by the result. 'unschedulable' means a pod could not be scheduled, while 'error' means an internal scheduler problem.",
      labelNames: ['result', 'profile'],
      registers: [registry],
    }),
    podSchedulingSli: new Histogram({
      name: 'scheduler_pod_scheduling_sli_duration_seconds',
      help: 'E2e latency for a pod being scheduled, from the time the pod enters the scheduling queue and might involve multiple scheduling attempts.',
      labelNames: ['attempts'],
      buckets: exponential(0.01, 2, 20),
      registers: [registry],
    }),
    schedulingAttemptDuration: new Histogram({
      name: 'scheduler_scheduling_attempt_duration_seconds',
      help: 'Scheduling attempt latency in seconds (scheduling algorithm + binding)',
      labelNames: ['result', 'profile'],
      buckets: exponential(0.001, 2, 15),
      registers: [registry],
    }),
    pendingPods: new Gauge({
      name: 'scheduler_pending_pods',
      help: "Number of pending pods, by the queue type. 'active' means number of pods in activeQ; 'backoff' means number of pods in backoffQ; 'unschedulable' means number of pods in unschedulablePods that the scheduler attempted to schedule and failed; 'gated' is the number of unschedulable pods that the scheduler never attempted to schedule because they are gated.",
      labelNames: ['queue'],
      registers: [registry],
    }),
    preemptionAttempts: new Counter({
      name: 'scheduler_preemption_attempts_total',
      help: 'Total preemption attempts in the cluster till now',
      registers: [registry],
    }),
    preemptionVictims: new Histogram({
      name: 'scheduler_preemption_victims',
      help: 'Number of selected preemption victims',
      buckets: exponential(1, 2, 7),
      registers: [registry],
    }),
  };
  families.set(registry, m);
  return m;
}
