/** The images `npm run images` builds; CI may point the suites at other tags through the env. */
export const CONTROL_PLANE_IMAGE =
  process.env.FLOTILLA_CONTROL_PLANE_IMAGE ?? 'flotilla/control-plane:dev';
export const PROMETHEUS_IMAGE = process.env.FLOTILLA_PROMETHEUS_IMAGE ?? 'flotilla/prometheus:dev';
