// Events about a pod (Pulling, Pulled, Created, Started, Killing, BackOff, Unhealthy, FailedMount).
// The API side turns them into Event objects; standalone they go to the log.
import type { Logger } from '../util/logger';
import type { Pod } from './types';

export interface PodEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** spec.containers{name}, as kubectl describe shows the source of container events. */
  fieldPath?: string;
}

export interface EventRecorder {
  record(pod: Pod, event: PodEvent): void;
}

export function logEvents(logger: Logger): EventRecorder {
  return {
    record(pod, e) {
      const fields = {
        pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
        reason: e.reason,
        ...(e.fieldPath ? { object: e.fieldPath } : {}),
        eventMessage: e.message,
      };
      if (e.type === 'Warning') logger.warn('event', fields);
      else logger.info('event', fields);
    },
  };
}

/** Keeps events in memory, newest last, for tests and the kubelet server. */
export class MemoryEvents implements EventRecorder {
  readonly events: (PodEvent & { pod: string })[] = [];

  constructor(private readonly limit = 1000) {}

  record(pod: Pod, e: PodEvent): void {
    this.events.push({ ...e, pod: `${pod.metadata.namespace}/${pod.metadata.name}` });
    if (this.events.length > this.limit) this.events.splice(0, this.events.length - this.limit);
  }

  reasons(pod?: string): string[] {
    return this.events.filter((e) => !pod || e.pod === pod).map((e) => e.reason);
  }
}

export function fanOut(...recorders: EventRecorder[]): EventRecorder {
  return { record: (pod, e) => recorders.forEach((r) => r.record(pod, e)) };
}

export function containerField(name: string, kind: 'init' | 'app'): string {
  return `spec.${kind === 'init' ? 'initContainers' : 'containers'}{${name}}`;
}
