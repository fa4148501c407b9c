// DefaultTolerationSeconds, as kube-apiserver runs it: on every create and update of a pod (not
// of its subresources), a pod that does not tolerate the not-ready or unreachable NoExecute taint
// is given a toleration for it, so the node lifecycle controller's taints evict it only after
// that many seconds. The creation path applies it through prepareForCreate; updates here.
import {
  addDefaultTolerations,
  DEFAULT_TOLERATIONS,
  isPlainObject,
  type DefaultTolerationSeconds,
  type KubeObject,
  type ResourceInfo,
} from '@flotilla/api';

export { DEFAULT_TOLERATIONS, type DefaultTolerationSeconds };

const isPods = (r: ResourceInfo) => r.group === '' && r.plural === 'pods';

/** Checks the settings as kube-apiserver's flags would be: whole seconds, not negative. */
export function checkTolerationSeconds(s: DefaultTolerationSeconds): DefaultTolerationSeconds {
  for (const [name, value] of Object.entries(s)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new Error(
        `default ${name} toleration seconds must be a whole number ≥ 0, not ${value}`,
      );
    }
  }
  return { notReady: s.notReady, unreachable: s.unreachable };
}

/** The update path: adds what is missing to the pod about to be stored (in place). */
export function admitPodUpdate(
  r: ResourceInfo,
  obj: KubeObject,
  subresource: string | undefined,
  seconds: DefaultTolerationSeconds,
): void {
  if (!isPods(r) || subresource !== undefined || !isPlainObject(obj.spec)) return;
  addDefaultTolerations(obj.spec, seconds);
}
