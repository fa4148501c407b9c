// Label and field selectors: the query-string grammar of Kubernetes list/watch and the LabelSelector objects of specs.
import type { ResourceInfo } from './catalog';
import type { KubeObject } from './object';
import { getPath, isPlainObject } from './object';
import { apiErrors } from './status';

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

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why a label key is not a qualified name ("prefix/name"), or undefined when it is. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix.length === 0) return 'prefix part must be non-empty';
    if (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) {
      return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    }
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!NAME_PART.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  }
  return undefined;
}

/** Why a label value is invalid, or undefined when it is fine. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!LABEL_VALUE.test(value)) {
    return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
  }
  return undefined;
}

// ---- label selector text -------------------------------------------------------------------------

type Token =
  | { t: 'id'; v: string }
  | { t: '!' | '=' | '==' | '!=' | '<' | '>' | '(' | ')' | ',' | 'in' | 'notin' | 'end' };

const SPECIAL = new Set(['!', '=', '<', '>', '(', ')', ',']);

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '!' && text[i + 1] === '=') {
      out.push({ t: '!=' });
      i += 2;
    } else if (c === '=' && text[i + 1] === '=') {
      out.push({ t: '==' });
      i += 2;
    } else if (SPECIAL.has(c)) {
      out.push({ t: c as '!' });
      i++;
    } else {
      let j = i;
      while (j < text.length && !SPECIAL.has(text[j]) && !/\s/.test(text[j])) j++;
      const word = text.slice(i, j);
      out.push(word === 'in' || word === 'notin' ? { t: word } : { t: 'id', v: word });
      i = j;
    }
  }
  out.push({ t: 'end' });
  return out;
}

function describe(tok: Token): string {
  return tok.t === 'id' ? tok.v : tok.t === 'end' ? 'EOS' : tok.t;
}

class LabelParser {
  private pos = 0;
  constructor(
    private readonly toks: Token[],
    private readonly text: string,
  ) {}

  private fail(detail: string): never {
    throw apiErrors.badRequest(`unable to parse requirement: ${detail}`);
  }

  private next(): Token {
    return this.toks[this.pos++];
  }

  private peek(): Token {
    return this.toks[this.pos];
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    if (this.peek().t === 'end') return reqs;
    for (let guard = 0; guard < this.toks.length; guard++) {
      reqs.push(this.requirement());
      const sep = this.next();
      if (sep.t === 'end') return reqs;
      if (sep.t !== ',') this.fail(`found '${describe(sep)}', expected: ',' or 'end of string'`);
    }
    return this.fail(`cannot parse '${this.text}'`);
  }

  private key(): string {
    const tok = this.next();
    if (tok.t !== 'id') this.fail(`found '${describe(tok)}', expected: identifier`);
    const problem = labelKeyProblem(tok.v);
    if (problem) this.fail(`key: Invalid value: ${JSON.stringify(tok.v)}: ${problem}`);
    return tok.v;
  }

  private value(allowEmpty: boolean): string {
    const tok = this.peek();
    if (tok.t !== 'id') {
      if (allowEmpty) return '';
      this.fail(`found '${describe(tok)}', expected: identifier`);
    }
    this.pos++;
    const problem = labelValueProblem(tok.v);
    if (problem) this.fail(`values[0]: Invalid value: ${JSON.stringify(tok.v)}: ${problem}`);
    return tok.v;
  }

  private requirement(): LabelRequirement {
    if (this.peek().t === '!') {
      this.pos++;
      return { key: this.key(), operator: 'DoesNotExist', values: [] };
    }
    const key = this.key();
    const op = this.peek();
    if (op.t === ',' || op.t === 'end') return { key, operator: 'Exists', values: [] };
    this.pos++;
    switch (op.t) {
      case '=':
      case '==':
        return { key, operator: 'Equals', values: [this.value(true)] };
      case '!=':
        return { key, operator: 'NotEquals', values: [this.value(true)] };
      case 'in':
      case 'notin':
        return { key, operator: op.t === 'in' ? 'In' : 'NotIn', values: this.valueSet() };
      case '<':
      case '>': {
        const v = this.value(false);
        if (!/^-?\d+$/.test(v)) this.fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
        return { key, operator: op.t === '<' ? 'Lt' : 'Gt', values: [v] };
      }
      default:
        return this.fail(`found '${describe(op)}', expected: '=', '!=', '==', 'in', 'notin'`);
    }
  }

  private valueSet(): string[] {
    const open = this.next();
    if (open.t !== '(') this.fail(`found '${describe(open)}', expected: '('`);
    if (this.peek().t === ')') this.fail("for 'in', 'notin' operators, values set can't be empty");
    const values: string[] = [];
    for (let guard = 0; guard < this.toks.length; guard++) {
      values.push(this.value(true));
      const tok = this.next();
      if (tok.t === ')') return values;
      if (tok.t !== ',') this.fail(`found '${describe(tok)}', expected: ',', ')' or identifier`);
    }
    return this.fail(`cannot parse '${this.text}'`);
  }
}

export function parseLabelSelector(text: string): LabelSelector {
  return { requirements: new LabelParser(tokenize(text ?? ''), text).parse() };
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

function requirementHolds(req: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = has ? labels[req.key] : undefined;
  switch (req.operator) {
    case 'Equals':
    case 'In':
      return has && req.values.includes(value as string);
    case 'NotEquals':
    case 'NotIn':
      return !has || !req.values.includes(value as string);
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

/** Fields each kind can be selected by, beyond metadata.name (and metadata.namespace for namespaced kinds). */
const EXTRA_FIELDS: Record<string, readonly string[]> = {
  '/Pod': [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  '/Node': ['spec.unschedulable'],
  '/Namespace': ['status.phase'],
  '/Secret': ['type'],
  '/Event': eventFields(),
  'events.k8s.io/Event': eventFields(),
  'apps/ReplicaSet': ['status.replicas'],
};

function eventFields(): string[] {
  const ref = ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'];
  return [
    ...ref.map((f) => `involvedObject.${f}`),
    ...ref.map((f) => `regarding.${f}`),
    'reason',
    'reportingComponent',
    'reportingController',
    'source',
    'type',
  ];
}

export function supportedFields(r: ResourceInfo): string[] {
  const base = r.namespaced ? ['metadata.name', 'metadata.namespace'] : ['metadata.name'];
  return [...base, ...(EXTRA_FIELDS[`${r.group}/${r.kind}`] ?? [])];
}

/** Splits on an unescaped separator; "\\," "\\=" and "\\\\" stand for the literal characters. */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && i + 1 < text.length) {
      cur += text[i] + text[i + 1];
      i++;
    } else if (text[i] === sep) {
      parts.push(cur);
      cur = '';
    } else {
      cur += text[i];
    }
  }
  parts.push(cur);
  return parts;
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(text: string, r: ResourceInfo): FieldSelector {
  const requirements: FieldRequirement[] = [];
  if (!text) return { requirements };
  const allowed = supportedFields(r);
  for (const part of splitUnescaped(text, ',')) {
    const m = /^(.*?)(!=|==|=)(.*)$/s.exec(part);
    if (!m || m[1].length === 0) {
      throw apiErrors.badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    }
    const field = m[1].trim();
    if (!allowed.includes(field)) {
      throw apiErrors.badRequest(`field label not supported: ${field}`);
    }
    requirements.push({
      field,
      operator: m[2] === '!=' ? 'NotEquals' : 'Equals',
      value: unescape(m[3]),
    });
  }
  return { requirements };
}

/** The string a field has for selection: absent is '', booleans and numbers as Go prints them. */
function fieldValue(obj: KubeObject, field: string): string {
  let path = field;
  if (obj.apiVersion === 'events.k8s.io/v1') {
    path = field.replace(/^involvedObject\./, 'regarding.');
    if (field === 'source') path = 'reportingController';
  } else if (field.startsWith('regarding.')) {
    path = field.replace(/^regarding\./, 'involvedObject.');
  } else if (field === 'source') {
    path = 'source.component';
  }
  const v = getPath(obj, path);
  if (v === undefined || v === null)
    return field === 'spec.unschedulable' || field === 'spec.hostNetwork' ? 'false' : '';
  return isPlainObject(v) || Array.isArray(v) ? JSON.stringify(v) : String(v);
}

export function matchesFields(sel: FieldSelector, obj: KubeObject): boolean {
  return sel.requirements.every((req) => {
    const equal = fieldValue(obj, req.field) === req.value;
    return req.operator === 'Equals' ? equal : !equal;
  });
}
