// Strategic-merge metadata (patchMergeKey / patchStrategy) of the kinds served, as their modules
// declare it on their definitions (Definition.lists, .statusLists, .retainKeys).
import type { ListMeta } from './kinds/kind-module';
import { lookup } from './own-keys';
import { definitionForKind, definitionNamed } from './schemas';

export type { ListMeta } from './kinds/kind-module';

/** A position in the type tree: a definition name, a named status block, or unknown (plain JSON merge). */
export type PatchNode = { def: string } | { status: string } | undefined;

const REPLACE: ListMeta = { strategy: 'replace' };

export function rootNode(group: string, version: string, kind: string): PatchNode {
  const found = definitionForKind(group, version, kind);
  return found ? { def: found[0] } : undefined;
}

export function childNode(node: PatchNode, key: string): PatchNode {
  if (!node) return undefined;
  if ('status' in node) return undefined;
  const def = definitionNamed(node.def);
  if (key === 'status' && def?.gvk && def.fields.status === 'any') return { status: node.def };
  const type = def ? lookup(def.fields, key) : undefined;
  const ref = type ? /^(?:\[\])?#(.+)$/.exec(type) : null;
  return ref ? { def: ref[1] } : undefined;
}

export function listMeta(node: PatchNode, key: string): ListMeta {
  if (!node) return REPLACE;
  if ('status' in node) {
    const lists = definitionNamed(node.status)?.statusLists;
    return (lists && lookup(lists, key)) ?? REPLACE;
  }
  const lists = definitionNamed(node.def)?.lists;
  return (lists && lookup(lists, key)) ?? REPLACE;
}

export function fieldRetainsKeys(node: PatchNode, key: string): boolean {
  return !!node && 'def' in node && !!definitionNamed(node.def)?.retainKeys?.includes(key);
}
