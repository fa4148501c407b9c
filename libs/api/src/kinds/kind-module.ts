// What the server knows about one kind, in one module (as Kubernetes keeps
// pkg/registry/<group>/<kind>/strategy.go per kind). The generic machinery (strategy, tables,
// selectors, OpenAPI, protobuf, patch metadata, server-side apply) looks kinds up in the registry
// of these modules and knows no kind by name. A CustomResourceDefinition produces one at run time.
import type { ResourceInfo } from '../catalog';
import type { JsonObject, KubeObject } from '../object';
import type { DefaultTolerationSeconds } from '../pod-admission';
import type { NameRule } from '../names';
import type { MessageTable } from '../protobuf/schema';
import type { StatusCause } from '../status';

/** How a list field merges in strategic merge patches and server-side apply. */
export interface ListMeta {
  /** Elements with the same value of this key are merged; absent means a list of primitives. */
  mergeKey?: string;
  /** 'merge' merges lists (by key, or as a set of primitives); anything else replaces the whole list. */
  strategy: 'merge' | 'replace';
  retainKeys?: boolean;
}

/** x-kubernetes-list-type (and its keys) where it differs from what the patch strategy implies. */
export type ListType =
  | { type: 'atomic' }
  | { type: 'set' }
  | { type: 'map'; keys: string[]; defaults?: Record<string, unknown> };

/**
 * One schema definition. A field type is a short string: 'string' | 'integer' | 'boolean' |
 * 'number' | 'time' | 'int-or-string' | 'quantity' | 'bytes' | 'any' (an object we do not model:
 * unknown fields inside are preserved) | 'map:<type>' | '[]<type>' | '#<Definition>'.
 */
export interface Definition {
  description: string;
  fields: Record<string, string>;
  required?: string[];
  /** Set on top-level kinds: { group, version, kind }. */
  gvk?: { group: string; version: string; kind: string };
  /** Strategic-merge metadata of this definition's list fields (patchMergeKey / patchStrategy). */
  lists?: Record<string, ListMeta>;
  /** List types Kubernetes declares explicitly where they differ from the patch strategy. */
  listTypes?: Record<string, ListType>;
  /** Fields whose object value is replaced key by key per $retainKeys. */
  retainKeys?: string[];
  /** Map fields Kubernetes marks +mapType=atomic. */
  atomicMaps?: string[];
  /** +structType=atomic: owned and replaced as a whole. */
  atomic?: boolean;
  /** For kinds whose status is 'any': the status lists that merge (conditions by type). */
  statusLists?: Record<string, ListMeta>;
  /** x-kubernetes-preserve-unknown-fields: fields beyond `fields` are data, not mistakes. */
  preserveUnknown?: boolean;
  /** The schema /openapi/v3 publishes as it is (a CRD's own), instead of one built from `fields`. */
  openapi?: Record<string, unknown>;
}

export interface CreateContext {
  namespace?: string;
  now: Date;
  newUid(): string;
  /** Five characters for generateName; derived from newUid() when absent. */
  randomSuffix?(): string;
  /** The DefaultTolerationSeconds admission's settings (300 s each by default). */
  tolerationSeconds?: DefaultTolerationSeconds;
}

export interface ColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

export type Cell = string | number | boolean;
export interface Printer {
  columns: ColumnDefinition[];
  cells: (o: KubeObject, now: Date) => Cell[];
}

export interface KindModule {
  resource: ResourceInfo;
  /** The schema definitions this module declares, its kind's own among them (the one with gvk). */
  definitions?: Record<string, Definition>;
  /** Protobuf field tables, for kinds kubectl may send as protobuf (the kind and its list). */
  protobuf?: MessageTable;
  /** Other kinds of the same group-version its protobuf table covers (Eviction, with PDBs). */
  protobufKinds?: string[];
  /** How metadata.name is checked (a DNS-1123 subdomain when absent). */
  nameRule?: NameRule;
  /** metadata.generation moves on with every spec change. */
  tracksGeneration?: boolean;
  /** Spec changes that also bump the generation, beyond spec itself (Deployment annotations). */
  generationChanged?(next: KubeObject, prev: KubeObject): boolean;
  /** A status update keeps the stored labels (workloads: controllers own them). */
  statusKeepsLabels?: boolean;
  /** Fields it can be selected by, beyond metadata.name (and metadata.namespace). */
  selectableFields?: readonly string[];
  /** The string a selectable field has, when not simply the value at its path. */
  fieldValue?(o: KubeObject, field: string): string | undefined;
  /** SetDefaults_<Kind>, in place; on create and on every update body. */
  defaults?(o: KubeObject): void;
  /** A check before validation whose failure is a 400 (the body cannot be decoded as the kind). */
  decodable?(o: KubeObject): void;
  /** What the server sets on create after defaults (initial status, system fields). */
  prepareForCreate?(o: KubeObject, ctx: CreateContext): void;
  /** What a status update does to the object it is about to store (a CRD's pruning and defaults). */
  prepareForStatusUpdate?(o: KubeObject): void;
  /** What an update carries over from the stored object after defaults. */
  prepareForUpdate?(next: KubeObject, prev: KubeObject): void;
  /** Causes for the kind's own fields (metadata is checked separately). */
  validate?(o: KubeObject): StatusCause[];
  /** Causes for what an update may not change. */
  validateUpdate?(next: KubeObject, prev: KubeObject): StatusCause[];
  /** kubectl get's columns (Name and Age only when absent). */
  printer?: Printer;
}

export function spec(o: KubeObject): JsonObject {
  return (
    o.spec !== null && typeof o.spec === 'object' && !Array.isArray(o.spec) ? o.spec : {}
  ) as JsonObject;
}
