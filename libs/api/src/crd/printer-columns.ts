// additionalPrinterColumns: the table kubectl get shows for a custom resource. Column values are
// read with the small JSONPath subset CRDs use: .a.b, .a[0].b, .a[?(@.type=="Ready")].status.
import { age } from '../age';
import type { Cell, ColumnDefinition, Printer } from '../kinds/kind-module';
import { AGE, created, NAME } from '../kinds/printing';
import { isPlainObject, type JsonObject, type KubeObject } from '../object';

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

type Step = { field: string } | { index: number } | { filter: { key: string; value: string } };

const FILTER = /^\?\(@\.([A-Za-z0-9_-]+)\s*==\s*["']([^"']*)["']\)$/;

/** The steps of a JSONPath, or undefined when it is outside the subset. */
export function parseColumnPath(path: string): Step[] | undefined {
  const text = path.trim().replace(/^\{(.*)\}$/, '$1');
  if (!text.startsWith('.')) return undefined;
  const steps: Step[] = [];
  const re = /\.([A-Za-z0-9_$-]+)|\[(\d+)\]|\[([^\]]+)\]/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    m = re.exec(text);
    if (!m) return undefined;
    if (m[1] !== undefined) steps.push({ field: m[1] });
    else if (m[2] !== undefined) steps.push({ index: Number(m[2]) });
    else {
      const f = FILTER.exec(m[3]);
      if (!f) return undefined;
      steps.push({ filter: { key: f[1], value: f[2] } });
    }
    at = re.lastIndex;
  }
  return steps;
}

function read(o: unknown, steps: Step[]): unknown {
  let cur: unknown = o;
  for (const s of steps) {
    if ('field' in s) {
      if (!isPlainObject(cur) || !Object.prototype.hasOwnProperty.call(cur, s.field))
        return undefined;
      cur = cur[s.field];
    } else if ('index' in s) {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[s.index];
    } else {
      if (!Array.isArray(cur)) return undefined;
      cur = cur.find(
        (x) => isPlainObject(x) && String((x as JsonObject)[s.filter.key]) === s.filter.value,
      );
    }
  }
  return cur;
}

function cell(type: string, v: unknown, now: Date): Cell {
  if (v === undefined || v === null) return '';
  if (type === 'date') return age(v, now);
  if (type === 'integer' || type === 'number') return typeof v === 'number' ? v : String(v);
  if (type === 'boolean') return typeof v === 'boolean' ? v : String(v);
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Name, then the CRD's columns (Name and Age when it declares none). */
export function printerFromColumns(columns: PrinterColumn[]): Printer {
  if (columns.length === 0) {
    return { columns: [NAME, AGE], cells: (o, now) => [o.metadata.name ?? '', created(o, now)] };
  }
  const parsed = columns.map((c) => ({ c, steps: parseColumnPath(c.jsonPath) ?? [] }));
  const defs: ColumnDefinition[] = columns.map((c) => ({
    name: c.name,
    type: (['integer', 'number', 'boolean', 'date'].includes(c.type)
      ? c.type
      : 'string') as ColumnDefinition['type'],
    format: c.format ?? '',
    description: c.description ?? '',
    priority: c.priority ?? 0,
  }));
  return {
    columns: [NAME, ...defs],
    cells: (o: KubeObject, now: Date) => [
      o.metadata.name ?? '',
      ...parsed.map(({ c, steps }) => cell(c.type, steps.length ? read(o, steps) : undefined, now)),
    ],
  };
}
