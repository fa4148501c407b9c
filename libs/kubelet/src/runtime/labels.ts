// The labels and annotations the kubelet puts on sandboxes and containers, with Kubernetes'
// names, so a restarted kubelet (or crictl) can tell which pod and container each one is.

export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
/** Marks objects this kubelet made, so it leaves other users of the runtime alone. */
export const LABEL_MANAGED = 'io.kubernetes.managed-by';
export const MANAGED_BY = 'flotilla-kubelet';

export const ANNOTATION_CONTAINER_HASH = 'io.kubernetes.container.hash';
export const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const ANNOTATION_TERMINATION_MESSAGE_PATH = 'io.kubernetes.container.terminationMessagePath';
export const ANNOTATION_TERMINATION_GRACE = 'io.kubernetes.pod.terminationGracePeriod';
/** Which list of the pod spec the container came from: init or app. */
export const ANNOTATION_CONTAINER_KIND = 'flotilla.io/container-kind';
