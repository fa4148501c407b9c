import { DEFAULT_SERVICE_CIDR, firstServiceIp, parseServiceCidr } from '@flotilla/api';
import type { ClusterPkiPlan } from '@flotilla/pki';
import type { UpOptions } from './up-options';

/** The certificates a local cluster needs: members m1..mN reached at the listen host. */
export function clusterPkiPlan(
  options: Pick<UpOptions, 'members' | 'listenHost' | 'serviceCidr'>,
): ClusterPkiPlan {
  return {
    masters: Array.from({ length: options.members }, (_, i) => ({
      name: `m${i + 1}`,
      hosts: [options.listenHost],
    })),
    serviceIp: firstServiceIp(parseServiceCidr(options.serviceCidr ?? DEFAULT_SERVICE_CIDR)),
  };
}
