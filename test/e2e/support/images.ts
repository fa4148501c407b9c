/** The images `npm run images` builds; CI may point the suites at other tags through the env. */
export const CONTROL_PLANE_IMAGE =
  process.env.FLOTILLA_CONTROL_PLANE_IMAGE ?? 'flotilla/control-plane:dev';
export const PROMETHEUS_IMAGE = process.env.FLOTILLA_PROMETHEUS_IMAGE ?? 'flotilla/prometheus:dev';
export const NODE_AGENT_IMAGE = process.env.FLOTILLA_NODE_AGENT_IMAGE ?? 'flotilla/node-agent:dev';
export const REGISTRY_IMAGE = process.env.FLOTILLA_REGISTRY_IMAGE ?? 'flotilla/registry:dev';
