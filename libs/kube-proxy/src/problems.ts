/** Something in the input that the proxy had to leave out; logged, counted and an event. */
export interface InputProblem {
  /** "Service demo/web" or "EndpointSlice demo/web-abc12". */
  object: string;
  /** Why, in words an operator can act on. */
  message: string;
  kind: 'Service' | 'EndpointSlice';
  /** Where the object is (what an event about it regards). */
  namespace: string;
  name: string;
  /** For an EndpointSlice: the key of the Service it belongs to (where the proxy keeps it). */
  serviceKey?: string;
  reason: 'Invalid' | 'Conflict';
}

export function serviceProblem(
  key: string,
  message: string,
  reason: InputProblem['reason'] = 'Invalid',
): InputProblem {
  const slash = key.indexOf('/');
  return {
    object: `Service ${key}`,
    message,
    kind: 'Service',
    namespace: key.slice(0, slash),
    name: key.slice(slash + 1),
    reason,
  };
}

export function endpointSliceProblem(
  namespace: string,
  name: string,
  serviceKey: string | undefined,
  message: string,
): InputProblem {
  return {
    object: `EndpointSlice ${namespace}/${name}`,
    message,
    kind: 'EndpointSlice',
    namespace,
    name,
    ...(serviceKey !== undefined ? { serviceKey } : {}),
    reason: 'Invalid',
  };
}

/** What stays the same while a problem lasts (the proxy reports it when it appears). */
export function problemId(p: InputProblem): string {
  return `${p.object}: ${p.message}`;
}
