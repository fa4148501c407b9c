// The kubelet's pod and node events as Kubernetes Events through libs/client's recorder (kubectl describe
// pod shows them), and to the log as well.
import type { EventRecorder as ClientRecorder } from '@flotilla/client';
import type { NodeEvent, NodeEventRecorder } from '../node/node-events';
import type { EventRecorder, PodEvent } from '../pod/events';
import type { Pod } from '../pod/types';

export function apiEvents(recorder: ClientRecorder): EventRecorder {
  return {
    record(pod: Pod, e: PodEvent) {
      const regarding = {
        apiVersion: 'v1',
        kind: 'Pod',
        namespace: pod.metadata.namespace,
        name: pod.metadata.name,
        uid: pod.metadata.uid,
        ...(e.fieldPath ? { fieldPath: e.fieldPath } : {}),
      };
      // The note is passed as an argument: a message may contain % signs.
      recorder.eventf(regarding, undefined, e.type, e.reason, e.reason, '%s', e.message);
    },
  };
}

/** Events regarding the Node (kubectl describe node): the kubelet names its Node by name and uid. */
export function apiNodeEvents(recorder: ClientRecorder, nodeName: string): NodeEventRecorder {
  const regarding = { apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeName };
  return {
    record(e: NodeEvent) {
      recorder.eventf(regarding, undefined, e.type, e.reason, e.reason, '%s', e.message);
    },
  };
}
