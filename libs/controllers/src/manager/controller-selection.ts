// `--controllers` as kube-controller-manager reads it: a list of names where `*` turns on every
// controller that is on by default, `name` turns one on, `-name` turns one off; the first entry
// that names a controller decides for it. Names may be canonical or the older aliases.
import {
  canonicalControllerName,
  KNOWN_CONTROLLERS,
  type KnownController,
} from './known-controllers';

export const DEFAULT_CONTROLLERS: readonly string[] = Object.freeze(['*']);

/** The entries of `--controllers`, each checked and turned into its canonical form. */
export function parseControllerList(
  text: string,
  known: readonly KnownController[] = KNOWN_CONTROLLERS,
): string[] {
  const entries = text.split(',').map((s) => s.trim());
  return entries.map((entry) => {
    if (entry === '*') return entry;
    const off = entry.startsWith('-');
    const name = off ? entry.slice(1) : entry;
    const canonical = canonicalControllerName(name, known);
    if (!canonical)
      throw new Error(`${JSON.stringify(name)} is not in the list of known controllers`);
    return off ? `-${canonical}` : canonical;
  });
}

/**
 * kube-controller-manager's IsControllerEnabled, over canonical names. `onByDefault` says whether
 * `*` includes it (default: unless kube-controller-manager leaves it off).
 */
export function isControllerEnabled(
  name: string,
  list: readonly string[],
  onByDefault = !KNOWN_CONTROLLERS.find((k) => k.name === name)?.disabledByDefault,
): boolean {
  let star = false;
  for (const entry of list) {
    if (entry === name) return true;
    if (entry === `-${name}`) return false;
    if (entry === '*') star = true;
  }
  return star && onByDefault;
}
