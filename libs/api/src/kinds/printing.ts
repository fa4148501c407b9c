// Helpers the kinds' table printers share: column declarations and how cells render absent values.
import { age } from '../age';
import type { JsonObject, KubeObject } from '../object';
import { getPath, isPlainObject } from '../object';
import type { Cell, ColumnDefinition, Printer } from './kind-module';

export function col(
  name: string,
  description: string,
  opts: Partial<ColumnDefinition> = {},
): ColumnDefinition {
  return { name, type: 'string', format: '', description, priority: 0, ...opts };
}

export const NAME = col('Name', 'The unique name of the object in its namespace.', {
  format: 'name',
});
export const AGE = col('Age', 'How long ago the object was created.');

export const list = (v: unknown): JsonObject[] =>
  Array.isArray(v) ? (v.filter(isPlainObject) as JsonObject[]) : [];
export const str = (v: unknown, none = '<none>'): string =>
  v === undefined || v === null || v === '' ? none : String(v);
export const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
export const created = (o: KubeObject, now: Date): string => age(o.metadata.creationTimestamp, now);

/** A map selector (Service) as kubectl prints it: k=v pairs sorted by key. */
export function selectorText(sel: unknown): string {
  if (!isPlainObject(sel)) return '<none>';
  const parts = Object.keys(sel)
    .sort()
    .map((k) => `${k}=${String(sel[k])}`);
  return parts.length ? parts.join(',') : '<none>';
}

/** A metav1.LabelSelector as kubectl prints it. */
export function labelSelectorText(sel: unknown): string {
  if (!isPlainObject(sel)) return '<none>';
  const parts = Object.entries(isPlainObject(sel.matchLabels) ? sel.matchLabels : {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${String(v)}`);
  for (const e of list(sel.matchExpressions)) {
    const values = Array.isArray(e.values) ? e.values.join(',') : '';
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(String(e.key));
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

/** The wide columns of workloads with a pod template: containers, images, selector. */
export const WORKLOAD_WIDE = [
  col('Containers', 'Names of each container in the template.', { priority: 1 }),
  col('Images', 'Images referenced by each container in the template.', { priority: 1 }),
  col('Selector', 'Label query over pods that should match the replicas count.', { priority: 1 }),
];

export function workloadWideCells(o: KubeObject, templatePath = 'spec.template'): Cell[] {
  const containers = list(getPath(o, `${templatePath}.spec.containers`));
  return [
    containers.map((c) => String(c.name)).join(','),
    containers.map((c) => String(c.image)).join(','),
    labelSelectorText(getPath(o, 'spec.selector')),
  ];
}

export const GENERIC_PRINTER: Printer = {
  columns: [NAME, AGE],
  cells: (o, now) => [o.metadata.name ?? '', created(o, now)],
};
