// Everything networking a node agent runs, fed by one stream of informer events: kube-proxy (one
// Proxier per IP family), the pod network (CNI configuration, routes, masquerade) and cluster DNS
// at the kube-dns ClusterIP. Framework-free; apps/node-agent wires it to Nest and informers.
import {
  CommandRunner,
  EndpointSlice,
  IPFamily,
  NftApplier,
  NftSession,
  Node,
  Proxier,
  ProxierConfig,
  ProxyEvents,
  Service,
  SessionSpawner,
  nftFamily,
  nodeReference,
  parseCidr,
  parseIP,
  proxyMetrics,
  resolveNodePortIPs,
  serviceKey,
  startHealthServer,
} from '@flotilla/kube-proxy';
import type { EventRecorder } from '@flotilla/client';
import type { JsonLogger } from '@flotilla/observability';
import { readFileSync } from 'node:fs';
import type { Registry } from 'prom-client';
import { ClusterRecords } from './dns/cluster-records';
import { ClusterDnsServer } from './dns/dns-server';
import { ensureLocalDnsAddress, removeLocalDnsAddress } from './dns/local-address';
import { parseResolvConf } from './dns/resolv-conf';
import { deleteMasqueradeTable } from './masquerade';
import { PodNetwork } from './pod-network';
import { nodeInternalIP } from './routes';

export interface NodeNetworkSettings {
  nodeName: string;
  /** Run kube-proxy (nftables mode). */
  proxy: boolean;
  clusterCIDRs: string[];
  serviceCIDRs: string[];
  /** --node-ip; empty: the InternalIPs of this node's Node object. */
  nodeIPs: string[];
  nodePortAddresses: string[];
  masqueradeAll: boolean;
  masqueradeBit: number;
  proxier: Partial<ProxierConfig>;
  /** The nft binary kube-proxy runs (default: nft on the PATH). */
  nftPath?: string;
  /** kube-proxy's /healthz and /livez; undefined: not served. */
  healthz?: { host: string; port: number };
  /** Write CNI configuration and routes (the pod network). */
  podNetwork: boolean;
  cniConfDir: string;
  cniIpamDir: string;
  /** The CNI network's name; default flotilla. */
  cniNetworkName?: string;
  /** Serve cluster DNS at the kube-dns ClusterIP (or at clusterDNS when given). */
  dns: boolean;
  clusterDomain: string;
  clusterDNS?: string;
  /** The node's resolv.conf: where names outside the cluster go. */
  resolvConf: string;
}

export const KUBE_DNS_SERVICE = 'kube-system/kube-dns';

export interface NodeNetworkDeps {
  settings: NodeNetworkSettings;
  runner: CommandRunner;
  /** Starts a long-lived `nft -i` for kube-proxy's incremental syncs (beside `runner`, which runs
   *  everything else); absent: one `nft -f` per sync. */
  nftSession?: SessionSpawner;
  logger: JsonLogger;
  registry: Registry;
  /** Where kube-proxy's Warning events go (reportingController kube-proxy); none: logs only. */
  events?: EventRecorder;
  onNetworkReadyChange?: (ready: boolean, message: string) => void;
}

export class NodeNetworkAgent {
  readonly proxiers: Proxier[] = [];
  readonly records: ClusterRecords;
  readonly podNetwork: PodNetwork | undefined;
  private dnsServer: ClusterDnsServer | undefined;
  private dnsIP: string | undefined;
  private dnsBinding: Promise<void> = Promise.resolve();
  private healthClose: (() => Promise<void>) | undefined;
  private ownNode: Node | undefined;
  private localAddresses: string[] = [];

  constructor(private readonly deps: NodeNetworkDeps) {
    const s = deps.settings;
    this.records = new ClusterRecords(s.clusterDomain);
    if (s.proxy) {
      // One reporter for both families: a problem they share is one event.
      const reporter = deps.events
        ? new ProxyEvents(deps.events, () => nodeReference(s.nodeName, this.ownNode?.metadata.uid))
        : undefined;
      for (const family of this.families()) {
        this.proxiers.push(
          new Proxier({
            options: this.renderOptions(family),
            applier: new NftApplier(
              deps.runner,
              nftFamily(family),
              s.nftPath,
              deps.nftSession ? new NftSession(deps.nftSession) : undefined,
            ),
            conntrack: deps.runner,
            metrics: proxyMetrics(deps.registry),
            logger: deps.logger.child('kube-proxy'),
            config: s.proxier,
            reporter,
          }),
        );
      }
    }
    this.podNetwork = s.podNetwork
      ? new PodNetwork({
          nodeName: s.nodeName,
          clusterCIDRs: s.clusterCIDRs,
          cniConfDir: s.cniConfDir,
          ipamDataDir: s.cniIpamDir,
          networkName: s.cniNetworkName,
          runner: deps.runner,
          logger: deps.logger.child('pod-network'),
          onReadyChange: deps.onNetworkReadyChange,
        })
      : undefined;
  }

  /** Starts what does not wait for informers: the health server, the local address list. */
  async start(): Promise<void> {
    const h = this.deps.settings.healthz;
    if (h && this.proxiers.length > 0) {
      const server = await startHealthServer(
        this.proxiers.map((p) => p.health),
        h.host,
        h.port,
      );
      this.healthClose = server.close;
    }
    this.localAddresses = await this.listLocalAddresses();
    if (this.deps.settings.dns && this.deps.settings.clusterDNS)
      this.bindDns(this.deps.settings.clusterDNS);
  }

  async stop(): Promise<void> {
    for (const p of this.proxiers) await p.stop();
    await this.podNetwork?.stop();
    await this.dnsBinding;
    await this.dnsServer?.close();
    await this.healthClose?.();
  }

  /** Whether every proxy has the latest changes in the kernel (for a health check). */
  get proxiesHealthy(): boolean {
    return this.proxiers.every((p) => p.health.status().live);
  }

  onServiceUpsert(svc: Service): void {
    for (const p of this.proxiers) p.onServiceUpsert(svc);
    this.records.upsertService(svc);
    if (serviceKey(svc) === KUBE_DNS_SERVICE) this.kubeDnsChanged(svc);
  }

  onServiceDelete(svc: Service): void {
    for (const p of this.proxiers) p.onServiceDelete(svc);
    this.records.deleteService(svc);
  }

  onEndpointSliceUpsert(slice: EndpointSlice): void {
    for (const p of this.proxiers) p.onEndpointSliceUpsert(slice);
    this.records.upsertSlice(slice);
  }

  onEndpointSliceDelete(slice: EndpointSlice): void {
    for (const p of this.proxiers) p.onEndpointSliceDelete(slice);
    this.records.deleteSlice(slice);
  }

  onNodeUpsert(node: Node): void {
    this.podNetwork?.onNodeUpsert(node);
    if (node.metadata.name === this.deps.settings.nodeName) {
      this.ownNode = node;
      for (const p of this.proxiers) {
        p.setOptions(this.renderOptions(p.family));
        p.setNodeDeleting(node.metadata.deletionTimestamp !== undefined);
      }
    }
  }

  onNodeDelete(node: Node): void {
    this.podNetwork?.onNodeDelete(node);
  }

  onServicesSynced(): void {
    for (const p of this.proxiers) p.onServicesSynced();
  }

  onEndpointSlicesSynced(): void {
    for (const p of this.proxiers) p.onEndpointSlicesSynced();
  }

  onNodesSynced(): void {
    this.podNetwork?.onNodesSynced();
  }

  private families(): IPFamily[] {
    const s = this.deps.settings;
    const fams = new Set<IPFamily>(['ipv4']);
    for (const c of [...s.clusterCIDRs, ...s.serviceCIDRs]) {
      const f = parseCidr(c, { strict: false })?.family;
      if (f) fams.add(f);
    }
    for (const ip of s.nodeIPs) {
      const f = parseIP(ip)?.family;
      if (f) fams.add(f);
    }
    return [...fams];
  }

  private renderOptions(family: IPFamily) {
    const s = this.deps.settings;
    const ofFamily = (cidrs: string[]) =>
      cidrs
        .map((c) => parseCidr(c, { strict: false }))
        .filter((c) => c?.family === family)
        .map((c) => c!.text);
    const nodeIPs = s.nodeIPs.length
      ? s.nodeIPs.filter((ip) => parseIP(ip)?.family === family)
      : [this.ownNode ? nodeInternalIP(this.ownNode, family) : undefined].filter(
          (ip): ip is string => !!ip,
        );
    return {
      family,
      nodeName: s.nodeName,
      nodeIPs,
      nodePortIPs: resolveNodePortIPs(s.nodePortAddresses, family, nodeIPs, this.localAddresses),
      clusterCIDR: ofFamily(s.clusterCIDRs)[0],
      serviceCIDRs: ofFamily(s.serviceCIDRs),
      masqueradeAll: s.masqueradeAll,
      masqueradeBit: s.masqueradeBit,
    };
  }

  private kubeDnsChanged(svc: Service): void {
    const s = this.deps.settings;
    if (!s.dns || s.clusterDNS) return;
    const ip = parseIP(svc.spec?.clusterIP)?.ip;
    if (ip && parseIP(ip)?.family === 'ipv4') this.bindDns(ip);
  }

  /** (Re)binds the DNS server at `ip`; one binding at a time, in order. */
  private bindDns(ip: string): void {
    if (ip === this.dnsIP) return;
    this.dnsIP = ip;
    const { logger, runner, settings, registry } = this.deps;
    this.dnsBinding = this.dnsBinding.then(async () => {
      try {
        await this.dnsServer?.close();
        await ensureLocalDnsAddress(runner, ip);
        const upstreams = this.upstreams(settings.resolvConf, ip);
        const server = new ClusterDnsServer({
          records: this.records,
          upstreams,
          logger: logger.child('dns'),
          registry,
        });
        await server.listen(ip, 53);
        this.dnsServer = server;
        logger.info('cluster DNS serving', {
          address: ip,
          upstreams: upstreams.join(','),
          zone: settings.clusterDomain,
        });
      } catch (e) {
        this.dnsIP = undefined;
        logger.error('cluster DNS could not start', { address: ip, error: (e as Error).message });
      }
    });
  }

  private upstreams(path: string, own: string): string[] {
    try {
      return parseResolvConf(readFileSync(path, 'utf8')).nameservers.filter((ns) => ns !== own);
    } catch (e) {
      this.deps.logger.warn(
        'cannot read the node resolv.conf: names outside the cluster will fail',
        {
          path,
          error: (e as Error).message,
        },
      );
      return [];
    }
  }

  private async listLocalAddresses(): Promise<string[]> {
    const r = await this.deps.runner.run('ip', ['-j', 'addr', 'show']);
    if (r.code !== 0) return [];
    const links = JSON.parse(r.stdout || '[]') as { addr_info?: { local?: string }[] }[];
    return links.flatMap((l) =>
      (l.addr_info ?? []).map((a) => a.local).filter((a): a is string => !!a),
    );
  }
}

/** --cleanup: removes every table and address the node's networking made. */
export async function cleanupNodeNetwork(runner: CommandRunner): Promise<string[]> {
  const removed: string[] = [];
  for (const family of ['ip', 'ip6'] as const) {
    if (await new NftApplier(runner, family).deleteTable())
      removed.push(`table ${family} kube-proxy`);
  }
  for (const family of ['ipv4', 'ipv6'] as const) {
    if (await deleteMasqueradeTable(runner, family)) removed.push(`pod network table (${family})`);
  }
  await removeLocalDnsAddress(runner);
  return removed;
}
