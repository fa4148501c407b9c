// Label and field selectors: the query-string grammar of Kubernetes list/watch and the LabelSelector objects of specs.
import type { ResourceInfo } from './catalog';
import type { KubeObject } from './object';
import { getPath, isPlainObject } from './object';
import { MAX_SELECTOR_BYTES, parseLabelSelectorText } from './label-selector-text';
import { apiErrors } from './status';
import type { KindModule } from './kinds/kind-module';
import { kindModuleOf } from './kinds/registry';
import { parseApiVersion } from './catalog';

/** The kind a field selector was parsed for: its module says how fields read. */
const selectorKinds = new WeakMap<FieldSelector, KindModule>();

function kindModuleOfObject(obj: KubeObject): KindModule | undefined {
  if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') return undefined;
  const { group, version } = parseApiVersion(obj.apiVersion);
  return kindModuleOf({ group, version, kind: obj.kind });
}

export type LabelOperator =
  'Equals' | 'NotEquals' | 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

/** All requirements must hold. `nothing` is the selector of a null LabelSelector: it matches no object. */
export interface LabelSelector {
  requirements: LabelRequirement[];
  nothing?: boolean;
}

export { labelKeyProblem, labelValueProblem } from './label-names';

export function parseLabelSelector(text: string): LabelSelector {
  return { requirements: parseLabelSelectorText(text ?? '') };
}

export function labelSelectorFromObject(
  sel:
    | {
        matchLabels?: Record<string, string>;
        matchExpressions?: { key: string; operator: string; values?: string[] }[];
      }
    | null
    | undefined,
): LabelSelector {
  if (sel === null || sel === undefined) return { requirements: [], nothing: true };
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
    requirements.push({ key, operator: 'Equals', values: [String(value)] });
  }
  for (const expr of sel.matchExpressions ?? []) {
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) {
          throw apiErrors.badRequest(
            `values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty`,
          );
        }
        requirements.push({ key: expr.key, operator: expr.operator, values: [...values] });
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          throw apiErrors.badRequest(
            `values: Invalid value: ${JSON.stringify(values)}: values set must be empty for exists and does not exist`,
          );
        }
        requirements.push({ key: expr.key, operator: expr.operator, values: [] });
        break;
      default:
        throw apiErrors.badRequest(
          `${JSON.stringify(expr.operator)} is not a valid label selector operator`,
        );
    }
  }
  return { requirements };
}

/** Value sets of requirements, built once each: a set of 50 000 values is checked in O(1). */
const valueSets = new WeakMap<LabelRequirement, ReadonlySet<string>>();

function valueSet(req: LabelRequirement): ReadonlySet<string> {
  let set = valueSets.get(req);
  if (!set) {
    set = new Set(req.values);
    valueSets.set(req, set);
  }
  return set;
}

function requirementHolds(req: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = has ? labels[req.key] : undefined;
  switch (req.operator) {
    case 'Equals':
    case 'In':
      return has && valueSet(req).has(value as string);
    case 'NotEquals':
    case 'NotIn':
      return !has || !valueSet(req).has(value as string);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || !/^-?\d+$/.test(value as string)) return false;
      const left = Number(value);
      const right = Number(req.values[0]);
      return req.operator === 'Gt' ? left > right : left < right;
    }
  }
}

export function matchesLabels(
  sel: LabelSelector,
  labels: Record<string, string> | undefined,
): boolean {
  if (sel.nothing) return false;
  const have = labels ?? {};
  return sel.requirements.every((req) => requirementHolds(req, have));
}

export function isEverything(sel: LabelSelector): boolean {
  return !sel.nothing && sel.requirements.length === 0;
}

/** The canonical text form (sorted by key), as Scale.status.selector and kubectl show it. */
export function labelSelectorToString(sel: LabelSelector): string {
  const reqs = [...sel.requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs
    .map((r) => {
      const set = `(${[...r.values].sort().join(',')})`;
      switch (r.operator) {
        case 'Equals':
          return `${r.key}=${r.values[0]}`;
        case 'NotEquals':
          return `${r.key}!=${r.values[0]}`;
        case 'In':
          return `${r.key} in ${set}`;
        case 'NotIn':
          return `${r.key} notin ${set}`;
        case 'Exists':
          return r.key;
        case 'DoesNotExist':
          return `!${r.key}`;
        case 'Gt':
          return `${r.key}>${r.values[0]}`;
        case 'Lt':
          return `${r.key}<${r.values[0]}`;
      }
    })
    .join(',');
}

// ---- field selectors -----------------------------------------------------------------------------

export interface FieldRequirement {
  field: string;
  operator: 'Equals' | 'NotEquals';
  value: string;
}

export interface FieldSelector {
  requirements: FieldRequirement[];
}

export function supportedFields(r: ResourceInfo): string[] {
  const base = r.namespaced ? ['metadata.name', 'metadata.namespace'] : ['metadata.name'];
  return [...base, ...(kindModuleOf(r)?.selectableFields ?? [])];
}

/** Comma-separated terms; a backslash keeps the character after it (and stays in the term). */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === ',') {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

const TERM_OPERATORS = ['!=', '==', '='] as const;

/** The first operator in the term splits it; the left side has no escapes. */
function splitTerm(term: string): { field: string; op: string; value: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i))
        return { field: term.slice(0, i), op, value: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/** Undoes the escapes backslash-backslash, backslash-comma, backslash-equals; others, or a bare comma or equals sign, are a 400. */
function unescapeValue(value: string): string {
  if (!/[\\,=]/.test(value)) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') {
      const next = value[i + 1];
      if (next !== '\\' && next !== ',' && next !== '=') {
        throw apiErrors.badRequest(
          `invalid field selector: invalid escape sequence: \\${next ?? ''}`,
        );
      }
      out += next;
      i++;
    } else if (c === ',' || c === '=') {
      // Go prints the rune's code: "unescaped character in value: 61" for "=".
      throw apiErrors.badRequest(
        `invalid field selector: unescaped character in value: ${c.codePointAt(0)}`,
      );
    } else out += c;
  }
  return out;
}

/**
 * A field selector, read as k8s.io/apimachinery/pkg/fields reads it (terms sorted, empty ones
 * skipped), then checked against the fields this resource can be selected by.
 */
export function parseFieldSelector(text: string, r: ResourceInfo): FieldSelector {
  const requirements: FieldRequirement[] = [];
  if (!text) return { requirements };
  if (Buffer.byteLength(text) > MAX_SELECTOR_BYTES) {
    throw apiErrors.badRequest(`fieldSelector is longer than ${MAX_SELECTOR_BYTES} bytes`);
  }
  for (const term of splitTerms(text).sort()) {
    if (term === '') continue;
    const parts = splitTerm(term);
    if (!parts)
      throw apiErrors.badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    requirements.push({
      field: parts.field,
      operator: parts.op === '!=' ? 'NotEquals' : 'Equals',
      value: unescapeValue(parts.value),
    });
  }
  const allowed = new Set(supportedFields(r));
  for (const req of requirements) {
    if (!allowed.has(req.field))
      throw apiErrors.badRequest(`field label not supported: ${req.field}`);
  }
  const selector = { requirements };
  const m = kindModuleOf(r);
  if (m) selectorKinds.set(selector, m);
  return selector;
}

/** The string a field has for selection: absent is '', booleans and numbers as Go prints them. */
function fieldValue(obj: KubeObject, field: string, m: KindModule | undefined): string {
  const own = m?.fieldValue?.(obj, field);
  if (own !== undefined) return own;
  const v = getPath(obj, field);
  if (v === undefined || v === null) return '';
  return isPlainObject(v) || Array.isArray(v) ? JSON.stringify(v) : String(v);
}

export function matchesFields(sel: FieldSelector, obj: KubeObject): boolean {
  if (sel.requirements.length === 0) return true;
  const m = selectorKinds.get(sel) ?? kindModuleOfObject(obj);
  return sel.requirements.every((req) => {
    const equal = fieldValue(obj, req.field, m) === req.value;
    return req.operator === 'Equals' ? equal : !equal;
  });
}
