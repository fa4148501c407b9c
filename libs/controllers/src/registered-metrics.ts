// Metrics a controller registers on the manager's registry, made once per registry: a controller
// runs again each time its master wins the lease back, with the same registry.
import { Counter, Gauge, type Registry } from 'prom-client';

export function gaugeOn(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[] = [],
): Gauge {
  const known = registry.getSingleMetric(name);
  if (known) return known as Gauge;
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

export function counterOn(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[] = [],
): Counter {
  const known = registry.getSingleMetric(name);
  if (known) return known as Counter;
  return new Counter({ name, help, labelNames, registers: [registry] });
}
