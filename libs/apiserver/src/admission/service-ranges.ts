// The Service address ranges are plain parsing, kept in @flotilla/api so the CLI validates the
// same flags without importing the API server.
export {
  DEFAULT_NODE_PORT_RANGE,
  DEFAULT_SERVICE_CIDR,
  firstServiceIp,
  formatNodePortRange,
  ipToNumber,
  numberToIp,
  parseNodePortRange,
  parseServiceCidr,
} from '@flotilla/api';
export type { NodePortRange, ServiceCidr, ServiceRanges } from '@flotilla/api';
