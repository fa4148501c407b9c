// meta.k8s.io/v1 Table output with the columns and cells kubectl shows for each kind (declared by
// the kind's module; Name and Age for kinds without a printer).
import type { ResourceInfo } from './catalog';
import type { ColumnDefinition, Printer } from './kinds/kind-module';
import { kindModuleOf } from './kinds/registry';
import { GENERIC_PRINTER } from './kinds/printing';
import type { KubeObject } from './object';

export type { ColumnDefinition } from './kinds/kind-module';
export { podStatusReason } from './kinds/core/pod';

export interface TableOptions {
  /**
   * Accepted for the contract but not used: like Kubernetes, every column is always sent and kubectl itself
   * hides the priority-1 ones unless -o wide (the request cannot tell the server which one the user asked).
   */
  wide?: boolean;
  includeObject?: 'None' | 'Metadata' | 'Object';
  now: Date;
}

function printerOf(r: ResourceInfo): Printer {
  return kindModuleOf(r)?.printer ?? GENERIC_PRINTER;
}

export function tableColumns(r: ResourceInfo): ColumnDefinition[] {
  return printerOf(r).columns;
}

function rowObject(
  o: KubeObject,
  include: TableOptions['includeObject'],
): Record<string, unknown> | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export function toTable(
  r: ResourceInfo,
  objects: KubeObject[],
  opts: TableOptions,
): Record<string, unknown> {
  const printer = printerOf(r);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {},
    columnDefinitions: printer.columns,
    rows: objects.map((o) => {
      const cells = printer.cells(o, opts.now);
      const object = rowObject(o, opts.includeObject ?? 'Metadata');
      return object ? { cells, object } : { cells };
    }),
  };
}
