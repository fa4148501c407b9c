/** Something in the input that the proxy had to leave out; logged, counted and (later) an event. */
export interface InputProblem {
  /** "Service demo/web" or "EndpointSlice demo/web-abc12". */
  object: string;
  /** Why, in words an operator can act on. */
  message: string;
  kind: 'Service' | 'EndpointSlice' | 'Node';
  reason: 'Invalid' | 'Conflict';
}

export function serviceProblem(
  key: string,
  message: string,
  reason: InputProblem['reason'] = 'Invalid',
): InputProblem {
  return { object: `Service ${key}`, message, kind: 'Service', reason };
}
