// Events about the Node itself (FreeDiskSpaceFailed, ImageGCFailed, ...). The API side writes
// them as Events regarding the Node (kubectl describe node shows them); standalone they go to the log.
import type { Logger } from '../util/logger';

export interface NodeEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface NodeEventRecorder {
  record(event: NodeEvent): void;
}

export function logNodeEvents(logger: Logger, nodeName: string): NodeEventRecorder {
  return {
    record(e) {
      const fields = { object: `node/${nodeName}`, reason: e.reason, eventMessage: e.message };
      if (e.type === 'Warning') logger.warn('event', fields);
      else logger.info('event', fields);
    },
  };
}

/** Keeps node events in memory, newest last (tests). */
export class MemoryNodeEvents implements NodeEventRecorder {
  readonly events: NodeEvent[] = [];

  record(e: NodeEvent): void {
    this.events.push({ ...e });
  }

  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }
}

export function fanOutNodeEvents(...recorders: NodeEventRecorder[]): NodeEventRecorder {
  return { record: (e) => recorders.forEach((r) => r.record(e)) };
}
