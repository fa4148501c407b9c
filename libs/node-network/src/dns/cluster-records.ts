// The cluster's DNS names, as Kubernetes' DNS specification defines them, from Services and
// EndpointSlices (fed by the same informers as kube-proxy):
//   <svc>.<ns>.svc.<zone>              A/AAAA: the ClusterIP, or the ready endpoints if headless
//   <host>.<svc>.<ns>.svc.<zone>       A/AAAA of one endpoint of a headless Service (hostname, or
//                                      the address with dashes): StatefulSet pods get these
//   _<port>._<proto>.<svc>.<ns>.svc.<zone>  SRV for named ports
//   <a-b-c-d>.<ns>.pod.<zone>          A (as CoreDNS's "pods insecure")
//   reverse names of ClusterIPs and headless endpoints  PTR
//   ExternalName Services              CNAME
// Each Service's records are rebuilt when it or its slices change; lookups are map reads.
import type { EndpointSlice, Service } from '@flotilla/kube-proxy';
import { parseIP, serviceKey, sliceServiceKey } from '@flotilla/kube-proxy';

export type RecordData =
  | { type: 'A' | 'AAAA' | 'CNAME' | 'PTR'; data: string }
  | { type: 'SRV'; data: { priority: number; weight: number; port: number; target: string } };

export interface LookupResult {
  /** NOERROR with answers, NODATA (NOERROR without), or NXDOMAIN. */
  rcode: 'NOERROR' | 'NXDOMAIN';
  answers: { name: string; record: RecordData }[];
  /** Address records of SRV targets. */
  additionals: { name: string; record: RecordData }[];
}

interface ServiceRecords {
  /** Owner name → records. */
  byName: Map<string, RecordData[]>;
}

export class ClusterRecords {
  private readonly services = new Map<string, Service>();
  private readonly slices = new Map<string, Map<string, EndpointSlice>>();
  private readonly built = new Map<string, ServiceRecords>();
  /** Name → records, merged over all Services. */
  private readonly names = new Map<string, RecordData[]>();
  /** Every name that has a name below it (so that it exists, without records: NODATA). */
  private readonly parents = new Map<string, number>();
  readonly zone: string;

  constructor(zone = 'cluster.local') {
    this.zone = normalize(zone);
  }

  /** Whether `name` falls in the cluster's zones (answered here, never forwarded). */
  isClusterName(name: string): boolean {
    const n = normalize(name);
    return n === this.zone || n.endsWith(`.${this.zone}`) || this.isServiceReverseName(n);
  }

  upsertService(svc: Service): void {
    const key = serviceKey(svc);
    this.services.set(key, svc);
    this.rebuild(key);
  }

  deleteService(svc: Service): void {
    const key = serviceKey(svc);
    this.services.delete(key);
    this.rebuild(key);
  }

  upsertSlice(slice: EndpointSlice): void {
    const key = sliceServiceKey(slice);
    if (!key) return;
    let m = this.slices.get(key);
    if (!m) this.slices.set(key, (m = new Map()));
    m.set(slice.metadata.name ?? '', slice);
    this.rebuild(key);
  }

  deleteSlice(slice: EndpointSlice): void {
    const key = sliceServiceKey(slice);
    if (!key) return;
    this.slices.get(key)?.delete(slice.metadata.name ?? '');
    this.rebuild(key);
  }

  lookup(qname: string, qtype: string): LookupResult {
    const name = normalize(qname);
    const records = this.names.get(name) ?? this.podRecord(name);
    if (!records) {
      const exists = name === this.zone || this.parents.has(name);
      return { rcode: exists ? 'NOERROR' : 'NXDOMAIN', answers: [], additionals: [] };
    }
    const cname = records.find((r) => r.type === 'CNAME');
    const matching =
      cname && qtype !== 'CNAME'
        ? [cname]
        : records.filter((r) => qtype === 'ANY' || r.type === qtype);
    const answers = matching.map((record) => ({ name, record }));
    const additionals: LookupResult['additionals'] = [];
    for (const r of matching) {
      if (r.type !== 'SRV') continue;
      for (const a of this.names.get(r.data.target) ?? []) {
        if (a.type === 'A' || a.type === 'AAAA')
          additionals.push({ name: r.data.target, record: a });
      }
    }
    return { rcode: 'NOERROR', answers, additionals };
  }

  private rebuild(key: string): void {
    const old = this.built.get(key);
    if (old) for (const [name, recs] of old.byName) this.removeRecords(name, recs);
    const svc = this.services.get(key);
    if (!svc) {
      this.built.delete(key);
      return;
    }
    const fresh = this.buildService(svc, [...(this.slices.get(key)?.values() ?? [])]);
    this.built.set(key, fresh);
    for (const [name, recs] of fresh.byName) this.addRecords(name, recs);
  }

  private buildService(svc: Service, slices: EndpointSlice[]): ServiceRecords {
    const byName = new Map<string, RecordData[]>();
    const add = (name: string, record: RecordData) => {
      let list = byName.get(name);
      if (!list) byName.set(name, (list = []));
      if (!list.some((r) => sameRecord(r, record))) list.push(record);
    };
    const ns = svc.metadata.namespace ?? '';
    const base = `${svc.metadata.name}.${ns}.svc.${this.zone}`;
    const spec = svc.spec ?? {};

    if (spec.type === 'ExternalName') {
      if (spec.externalName) add(base, { type: 'CNAME', data: normalize(spec.externalName) });
      return { byName };
    }

    const headless = spec.clusterIP === 'None';
    const ports = (spec.ports ?? []).filter((p) => p.name && typeof p.port === 'number');
    if (!headless) {
      const ips = (
        spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []
      )
        .map((t) => parseIP(t))
        .filter((p) => p !== undefined);
      for (const ip of ips) {
        add(base, { type: ip.family === 'ipv4' ? 'A' : 'AAAA', data: ip.ip });
        add(reverseName(ip.ip), { type: 'PTR', data: base });
      }
      if (ips.length > 0) {
        for (const p of ports) {
          const proto = (p.protocol ?? 'TCP').toLowerCase();
          add(`_${p.name}._${proto}.${base}`, {
            type: 'SRV',
            data: { priority: 0, weight: 100, port: p.port!, target: base },
          });
        }
      }
      return { byName };
    }

    // Headless: the endpoints themselves (ready ones, or all with publishNotReadyAddresses).
    const includeNotReady = spec.publishNotReadyAddresses === true;
    for (const slice of slices) {
      if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
      for (const ep of slice.endpoints ?? []) {
        const ip = parseIP(ep.addresses?.[0]);
        if (!ip || (!includeNotReady && ep.conditions?.ready === false)) continue;
        const host =
          ep.hostname && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ep.hostname)
            ? ep.hostname
            : dashed(ip.ip);
        const epName = `${host}.${base}`;
        const type = ip.family === 'ipv4' ? 'A' : 'AAAA';
        add(base, { type, data: ip.ip });
        add(epName, { type, data: ip.ip });
        add(reverseName(ip.ip), { type: 'PTR', data: epName });
        for (const sp of slice.ports ?? []) {
          if (!sp.name || typeof sp.port !== 'number') continue;
          const proto = (sp.protocol ?? 'TCP').toLowerCase();
          add(`_${sp.name}._${proto}.${base}`, {
            type: 'SRV',
            data: { priority: 0, weight: 100, port: sp.port, target: epName },
          });
        }
      }
    }
    return { byName };
  }

  private addRecords(name: string, recs: RecordData[]): void {
    const list = this.names.get(name);
    if (list) list.push(...recs);
    else this.names.set(name, [...recs]);
    for (const parent of parentsOf(name))
      this.parents.set(parent, (this.parents.get(parent) ?? 0) + 1);
  }

  private removeRecords(name: string, recs: RecordData[]): void {
    const list = this.names.get(name);
    if (list) {
      const remaining = list.filter((r) => !recs.includes(r));
      if (remaining.length === 0) this.names.delete(name);
      else this.names.set(name, remaining);
    }
    for (const parent of parentsOf(name)) {
      const n = (this.parents.get(parent) ?? 1) - 1;
      if (n <= 0) this.parents.delete(parent);
      else this.parents.set(parent, n);
    }
  }

  /** <a-b-c-d>.<ns>.pod.<zone> → a.b.c.d (any namespace, as CoreDNS's "pods insecure"). */
  private podRecord(name: string): RecordData[] | undefined {
    const suffix = `.pod.${this.zone}`;
    if (!name.endsWith(suffix)) return undefined;
    const labels = name.slice(0, -suffix.length).split('.');
    if (labels.length !== 2) return undefined;
    const v4 = parseIP(labels[0].replaceAll('-', '.'));
    if (v4?.family === 'ipv4') return [{ type: 'A', data: v4.ip }];
    const v6 = parseIP(labels[0].replaceAll('-', ':'));
    if (v6?.family === 'ipv6') return [{ type: 'AAAA', data: v6.ip }];
    return undefined;
  }

  private isServiceReverseName(name: string): boolean {
    return (name.endsWith('.in-addr.arpa') || name.endsWith('.ip6.arpa')) && this.names.has(name);
  }
}

export function normalize(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function sameRecord(a: RecordData, b: RecordData): boolean {
  return a.type === b.type && JSON.stringify(a.data) === JSON.stringify(b.data);
}

function dashed(ip: string): string {
  return ip.includes(':') ? ip.replaceAll(':', '-') : ip.replaceAll('.', '-');
}

function parentsOf(name: string): string[] {
  const out: string[] = [];
  let i = name.indexOf('.');
  while (i >= 0) {
    out.push(name.slice(i + 1));
    i = name.indexOf('.', i + 1);
  }
  return out;
}

export function reverseName(ip: string): string {
  if (!ip.includes(':')) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  const groups = ip.includes('::') ? expand(ip) : ip.split(':');
  const nibbles = groups.map((g) => g.padStart(4, '0')).join('');
  return `${nibbles.split('').reverse().join('.')}.ip6.arpa`;
}

function expand(ip: string): string[] {
  const [head, tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  return [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
}
