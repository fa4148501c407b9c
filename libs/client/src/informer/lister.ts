import {
  matchesLabels,
  parseLabelSelector,
  type KubeObject,
  type LabelSelector,
} from '@flotilla/api';
import { NAMESPACE_INDEX, type Indexer } from './indexer';

/**
 * Reads of an informer's cache, as client-go's generated listers offer them. What it returns is
 * the cache's own frozen objects: read them, or clone (cloneJson) before changing anything.
 */
export class Lister<T extends KubeObject = KubeObject> {
  constructor(private readonly indexer: Indexer<T>) {}

  /** Every cached object, or those whose labels match `selector` (text or parsed). */
  list(selector?: string | LabelSelector): T[] {
    return filterLabels(this.indexer.list(), selector);
  }

  /** The cached objects of one namespace (by the namespace index). */
  listInNamespace(namespace: string, selector?: string | LabelSelector): T[] {
    const inNs = this.indexer.hasIndex(NAMESPACE_INDEX)
      ? this.indexer.byIndex(NAMESPACE_INDEX, namespace)
      : this.indexer.list().filter((o) => (o.metadata.namespace ?? '') === namespace);
    return filterLabels(inNs, selector);
  }

  /** One object by name (and namespace, for namespaced resources). */
  get(name: string, namespace?: string): T | undefined {
    return this.indexer.get(namespace ? `${namespace}/${name}` : name);
  }

  /** One object by its cache key ("namespace/name" or "name"), as work queues carry it. */
  getByKey(key: string): T | undefined {
    return this.indexer.get(key);
  }

  byIndex(indexName: string, value: string): T[] {
    return this.indexer.byIndex(indexName, value);
  }
}

function filterLabels<T extends KubeObject>(
  objs: T[],
  selector: string | LabelSelector | undefined,
): T[] {
  if (selector === undefined || selector === '') return objs;
  const sel = typeof selector === 'string' ? parseLabelSelector(selector) : selector;
  return objs.filter((o) => matchesLabels(sel, o.metadata.labels));
}
