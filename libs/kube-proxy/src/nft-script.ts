// Writes nft commands for one table; the text goes to `nft -f -` as a single transaction.
import type { ChainSpec, ElementSpec, NftFamily, SetSpec } from './ruleset';

/** Elements per "add element" command: keeps lines short without many commands. */
const ELEMENTS_PER_COMMAND = 1000;

export class NftScript {
  private readonly lines: string[] = [];
  private readonly table: string;

  constructor(
    readonly family: NftFamily,
    tableName: string,
  ) {
    this.table = `${family} ${tableName}`;
  }

  get length(): number {
    return this.lines.length;
  }

  text(): string {
    return this.lines.length === 0 ? '' : this.lines.join('\n') + '\n';
  }

  addTable(comment?: string): void {
    this.lines.push(`add table ${this.table}${comment ? ` { comment ${quote(comment)} ; }` : ''}`);
  }

  deleteTable(): void {
    this.lines.push(`delete table ${this.table}`);
  }

  addChain(chain: Pick<ChainSpec, 'name' | 'hook' | 'comment'>): void {
    const parts: string[] = [];
    if (chain.hook)
      parts.push(
        `type ${chain.hook.type} hook ${chain.hook.hook} priority ${chain.hook.priority} ;`,
      );
    if (chain.comment) parts.push(`comment ${quote(chain.comment)} ;`);
    this.lines.push(
      `add chain ${this.table} ${chain.name}${parts.length ? ` { ${parts.join(' ')} }` : ''}`,
    );
  }

  flushChain(name: string): void {
    this.lines.push(`flush chain ${this.table} ${name}`);
  }

  deleteChain(name: string): void {
    this.lines.push(`delete chain ${this.table} ${name}`);
  }

  addRules(chain: string, rules: readonly string[]): void {
    for (const rule of rules) this.lines.push(`add rule ${this.table} ${chain} ${rule}`);
  }

  addSet(set: SetSpec): void {
    const parts = [`type ${set.type} ;`];
    if (set.flags?.length) parts.push(`flags ${set.flags.join(',')} ;`);
    if (set.timeoutSeconds !== undefined) parts.push(`timeout ${set.timeoutSeconds}s ;`);
    if (set.comment) parts.push(`comment ${quote(set.comment)} ;`);
    this.lines.push(
      `add ${set.map ? 'map' : 'set'} ${this.table} ${set.name} { ${parts.join(' ')} }`,
    );
  }

  flushSet(set: Pick<SetSpec, 'name' | 'map'>): void {
    this.lines.push(`flush ${set.map ? 'map' : 'set'} ${this.table} ${set.name}`);
  }

  deleteSet(name: string): void {
    this.lines.push(`delete set ${this.table} ${name}`);
  }

  /** Adds elements, grouped by set in the order the sets first appear. */
  addElements(elements: readonly ElementSpec[]): void {
    for (const [set, els] of groupBySet(elements)) {
      this.chunked(els, (chunk) => {
        const items = chunk.map((el) => {
          const key = el.comment ? `${el.key} comment ${quote(el.comment)}` : el.key;
          return el.value === undefined ? key : `${key} : ${el.value}`;
        });
        this.lines.push(`add element ${this.table} ${set} { ${items.join(', ')} }`);
      });
    }
  }

  deleteElements(elements: readonly Pick<ElementSpec, 'set' | 'key'>[]): void {
    for (const [set, els] of groupBySet(elements)) {
      this.chunked(els, (chunk) => {
        this.lines.push(
          `delete element ${this.table} ${set} { ${chunk.map((el) => el.key).join(', ')} }`,
        );
      });
    }
  }

  private chunked<T>(items: T[], emit: (chunk: T[]) => void): void {
    for (let i = 0; i < items.length; i += ELEMENTS_PER_COMMAND)
      emit(items.slice(i, i + ELEMENTS_PER_COMMAND));
  }
}

function groupBySet<T extends { set: string }>(elements: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const el of elements) {
    let g = groups.get(el.set);
    if (!g) groups.set(el.set, (g = []));
    g.push(el);
  }
  return groups;
}

/** A double-quoted nft string; our comments never hold quotes, but a Service name could not
 *  either, so anything unexpected is dropped rather than escaped. */
export function quote(text: string): string {
  return `"${text.replace(/[^A-Za-z0-9 _./:@+,=()-]/g, '')}"`;
}
