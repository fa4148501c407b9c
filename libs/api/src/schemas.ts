// The field model of each served kind: one source for OpenAPI v3 schemas, unknown-field detection,
// strategic-merge metadata and server-side apply. The definitions are declared in the kind modules
// (kinds/) and read here through the registry; the notation is described with Definition.
import type { Definition } from './kinds/kind-module';
import { allDefinitions, kindModules, kindsGeneration } from './kinds/registry';
import { lookup } from './own-keys';

export type { Definition } from './kinds/kind-module';

/** Every definition by name; a live view of the registry. */
export const DEFINITIONS: Readonly<Record<string, Definition>> = new Proxy(
  {} as Record<string, Definition>,
  {
    get: (_target, key) => Reflect.get(allDefinitions(), key) as unknown,
    has: (_target, key) => Reflect.has(allDefinitions(), key),
    ownKeys: () => Reflect.ownKeys(allDefinitions()),
    getOwnPropertyDescriptor: (_target, key) =>
      Reflect.getOwnPropertyDescriptor(allDefinitions(), key),
  },
);

/** A definition by name, never an inherited member. */
export function definitionNamed(name: string): Definition | undefined {
  return lookup(allDefinitions(), name);
}

export function definitionForKind(
  group: string,
  version: string,
  kind: string,
): [string, Definition] | undefined {
  if (!byKind || byKindGeneration !== kindsGeneration()) {
    kindModules();
    byKindGeneration = kindsGeneration();
    byKind = new Map(
      Object.entries(allDefinitions())
        .filter(([, def]) => def.gvk)
        .reverse() // the first definition of a kind wins, as a scan in order would find it
        .map(([name, def]) => [
          gvkKey(def.gvk!.group, def.gvk!.version, def.gvk!.kind),
          [name, def],
        ]),
    );
  }
  return byKind.get(gvkKey(group, version, kind));
}

/** Definitions by group, version and kind, built on first use and again when the kinds change. */
let byKind: Map<string, [string, Definition]> | undefined;
let byKindGeneration = -1;

function gvkKey(group: string, version: string, kind: string): string {
  return `${group}/${version}/${kind}`;
}

/** The names of all definitions reachable from `root`, `root` included. */
export function reachableDefinitions(root: string): string[] {
  const defs = allDefinitions();
  const seen = new Set<string>();
  const stack = [root];
  for (let guard = 0; stack.length > 0 && guard < 10_000; guard++) {
    const name = stack.pop() as string;
    if (seen.has(name) || !lookup(defs, name)) continue;
    seen.add(name);
    for (const type of Object.values(defs[name].fields)) {
      const ref = /#(.+)$/.exec(type);
      if (ref) stack.push(ref[1]);
    }
  }
  return [...seen];
}
