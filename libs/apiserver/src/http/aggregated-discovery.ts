import { createHash } from 'node:crypto';
import { groupVersions, kindsGeneration, ResourceInfo, resourcesIn } from '@flotilla/api';
import { subresourcesOf } from './discovery';

// Aggregated discovery (apidiscovery.k8s.io): GET /api and GET /apis answer every group, version
// and resource in one document when the Accept header asks for an APIGroupDiscoveryList, so a
// client needs two requests instead of one per group-version. Built from the same catalog as the
// legacy documents in discovery.ts.

export const DISCOVERY_GROUP = 'apidiscovery.k8s.io';
export const DISCOVERY_KIND = 'APIGroupDiscoveryList';
/** v2 is GA since Kubernetes 1.30; v2beta1 has the same shape and is what 1.26-1.29 clients ask for. */
export const DISCOVERY_VERSIONS = ['v2', 'v2beta1'] as const;
export type DiscoveryVersion = (typeof DISCOVERY_VERSIONS)[number];

/**
 * The Content-Type of an aggregated answer, parameters in kube-apiserver's order (g, v, as):
 * client-go reads the document as aggregated only when the response names its group, version and
 * kind, and falls back to one request per group-version otherwise.
 */
export function discoveryContentType(version: DiscoveryVersion): string {
  return `application/json;g=${DISCOVERY_GROUP};v=${version};as=${DISCOVERY_KIND}`;
}

interface AcceptClause {
  type: string;
  subtype: string;
  q: number;
  params: Map<string, string>;
}

function parseAccept(header: string): AcceptClause[] {
  const clauses: AcceptClause[] = [];
  for (const part of header.split(',')) {
    const [range, ...rest] = part.split(';');
    const [type = '', subtype] = range.trim().toLowerCase().split('/');
    if (type === '' || (subtype === undefined && type !== '*')) continue;
    const clause: AcceptClause = { type, subtype: subtype ?? '*', q: 1, params: new Map() };
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const key = p.slice(0, eq).trim();
      const value = p.slice(eq + 1).trim();
      if (key === 'q') clause.q = Number.isFinite(Number(value)) ? Number(value) : 0;
      else clause.params.set(key, value);
    }
    clauses.push(clause);
  }
  // Highest quality first, then concrete types before wildcards; ties keep the client's order.
  const wildness = (c: AcceptClause) => (c.type === '*' ? 2 : 0) + (c.subtype === '*' ? 1 : 0);
  return clauses
    .map((c, i) => ({ c, i }))
    .sort((a, b) => b.c.q - a.c.q || wildness(a.c) - wildness(b.c) || a.i - b.i)
    .map(({ c }) => c);
}

/**
 * Which aggregated discovery version the Accept header asks for, or undefined for the legacy
 * documents. As in kube-apiserver, the first acceptable clause decides: a JSON clause converting to
 * apidiscovery.k8s.io/{v2,v2beta1} APIGroupDiscoveryList means aggregated, a plain JSON (or
 * wildcard) clause means legacy, and clauses this endpoint cannot serve (another conversion such as
 * a Table, or protobuf and YAML, which Flotilla does not produce) are skipped.
 */
export function negotiateDiscovery(accept: string): DiscoveryVersion | undefined {
  for (const c of parseAccept(accept)) {
    if (c.q <= 0) continue;
    const json =
      (c.type === 'application' && (c.subtype === 'json' || c.subtype === '*')) ||
      (c.type === '*' && c.subtype === '*');
    if (!json) continue;
    const g = c.params.get('g');
    const v = c.params.get('v');
    const as = c.params.get('as');
    if (g === undefined && v === undefined && as === undefined) return undefined;
    if (
      g === DISCOVERY_GROUP &&
      as === DISCOVERY_KIND &&
      (DISCOVERY_VERSIONS as readonly string[]).includes(v ?? '')
    ) {
      return v as DiscoveryVersion;
    }
  }
  return undefined;
}

function resourceDiscovery(r: ResourceInfo): Record<string, unknown> {
  const subresources = subresourcesOf(r).map((s) => ({
    subresource: s.name,
    responseKind: { group: s.group, version: s.version, kind: s.kind },
    verbs: s.verbs,
  }));
  return {
    resource: r.plural,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
    ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
    ...(r.categories.length > 0 ? { categories: r.categories } : {}),
    ...(subresources.length > 0 ? { subresources } : {}),
  };
}

/** One APIGroupDiscovery: the group's versions, preferred first, each with all its resources. */
function groupDiscovery(group: string, versions: string[]): Record<string, unknown> {
  return {
    // The legacy (core) group has the empty name, which Kubernetes omits.
    metadata: group === '' ? {} : { name: group },
    versions: versions.map((version) => ({
      version,
      resources: resourcesIn(group, version).map(resourceDiscovery),
      freshness: 'Current',
    })),
  };
}

/** The groups of /api (the core group alone) or of /apis (every named group), in catalog order. */
function groupsOf(root: 'api' | 'apis'): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const gv of groupVersions()) {
    if ((gv.group === '') !== (root === 'api')) continue;
    const versions = groups.get(gv.group) ?? [];
    if (!versions.includes(gv.version)) versions.push(gv.version);
    groups.set(gv.group, versions);
  }
  return groups;
}

/** The APIGroupDiscoveryList of /api or /apis in the given apidiscovery.k8s.io version. */
export function apiGroupDiscoveryList(
  root: 'api' | 'apis',
  version: DiscoveryVersion,
): Record<string, unknown> {
  return {
    kind: DISCOVERY_KIND,
    apiVersion: `${DISCOVERY_GROUP}/${version}`,
    metadata: {},
    items: [...groupsOf(root)].map(([group, versions]) => groupDiscovery(group, versions)),
  };
}

export interface AggregatedDocument {
  body: Record<string, unknown>;
  contentType: string;
  /** Quoted, as the ETag header carries it; the same for every version of one document. */
  etag: string;
}

const documents = new Map<string, AggregatedDocument>();
/** The kind registry's generation the documents were built for (CRDs add and remove kinds). */
let documentsGeneration = -1;

/** The document with its Content-Type and ETag (a SHA-512 of the v2 JSON, as kube-apiserver's). */
export function aggregatedDiscovery(
  root: 'api' | 'apis',
  version: DiscoveryVersion,
): AggregatedDocument {
  if (documentsGeneration !== kindsGeneration()) {
    documentsGeneration = kindsGeneration();
    documents.clear();
  }
  const key = `${root}/${version}`;
  let doc = documents.get(key);
  if (!doc) {
    const hash = createHash('sha512')
      .update(JSON.stringify(apiGroupDiscoveryList(root, 'v2')))
      .digest('hex')
      .toUpperCase();
    doc = {
      body: apiGroupDiscoveryList(root, version),
      contentType: discoveryContentType(version),
      etag: JSON.stringify(hash),
    };
    documents.set(key, doc);
  }
  return doc;
}
