// The text form of label selectors (?labelSelector=...), read as k8s.io/apimachinery/pkg/labels
// reads it: the same tokens, the same grammar, the same errors. Linear in the length of the text.
//
//   selector    := requirement ( "," requirement )*
//   requirement := [ "!" ] KEY [ ( "=" | "==" | "!=" | ">" | "<" ) VALUE | ( "in" | "notin" ) "(" VALUES ")" ]
//
// "in" and "notin" are operators only where an operator may stand; as keys and values they are
// identifiers. "()" and empty items in a value set are the empty value.
import { apiErrors } from './status';
import type { LabelOperator, LabelRequirement } from './selectors';
import { labelKeyProblem, labelValueProblem } from './label-names';

/** Kubernetes bounds a selector only by its 1 MiB request header limit; the handler does too. */
export const MAX_SELECTOR_BYTES = 1024 * 1024;

type Kind = 'id' | '!' | '=' | '==' | '!=' | '<' | '>' | '(' | ')' | ',' | 'in' | 'notin' | 'end';

interface Token {
  kind: Kind;
  text: string;
}

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string) =>
  c === '=' || c === '!' || c === '(' || c === ')' || c === ',' || c === '>' || c === '<';
const SYMBOLS = new Set(['!', '=', '==', '!=', '<', '>', '(', ')', ',']);

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (isSpace(c)) {
      i++;
    } else if (isSpecial(c)) {
      // The longest run of symbols that is itself a symbol: "==" but "=" "=" for "= =".
      let symbol = c;
      i++;
      while (i < text.length && isSpecial(text[i]) && SYMBOLS.has(symbol + text[i])) {
        symbol += text[i];
        i++;
      }
      out.push({ kind: symbol as Kind, text: symbol });
    } else {
      const start = i;
      while (i < text.length && !isSpecial(text[i]) && !isSpace(text[i])) i++;
      const word = text.slice(start, i);
      out.push({ kind: word === 'in' || word === 'notin' ? word : 'id', text: word });
    }
  }
  out.push({ kind: 'end', text: '' });
  return out;
}

const OPERATOR_LIST = 'in, notin, =, ==, !=, gt, lt';

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  /** The next token; where a key or value may stand, "in" and "notin" are identifiers. */
  private peek(operator = false): Token {
    const t = this.tokens[this.pos];
    return !operator && (t.kind === 'in' || t.kind === 'notin') ? { kind: 'id', text: t.text } : t;
  }

  private next(operator = false): Token {
    const t = this.peek(operator);
    this.pos++;
    return t;
  }

  parse(): LabelRequirement[] {
    const out: LabelRequirement[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'end') return out;
      if (t.kind !== 'id' && t.kind !== '!') {
        throw fail(`found '${t.text}', expected: !, identifier, or 'end of string'`);
      }
      out.push(this.requirement());
      const sep = this.next();
      if (sep.kind === 'end') return out;
      if (sep.kind !== ',') throw fail(`found '${sep.text}', expected: ',' or 'end of string'`);
      const after = this.peek();
      if (after.kind !== 'id' && after.kind !== '!') {
        throw fail(`found '${after.text}', expected: identifier after ','`);
      }
    }
  }

  private requirement(): LabelRequirement {
    let negated = false;
    let t = this.next();
    if (t.kind === '!') {
      negated = true;
      t = this.next();
    }
    if (t.kind !== 'id') throw requirementError(`found '${t.text}', expected: identifier`);
    const key = t.text;
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) {
      throw requirementError(`Invalid value: ${JSON.stringify(key)}: ${keyProblem}`);
    }
    const ahead = this.peek();
    if (negated) return checked(key, 'DoesNotExist', []);
    if (ahead.kind === 'end' || ahead.kind === ',') return checked(key, 'Exists', []);
    const op = this.next(true);
    switch (op.kind) {
      case 'in':
      case 'notin':
        return checked(key, op.kind === 'in' ? 'In' : 'NotIn', this.valueSet());
      case '=':
      case '==':
        return checked(key, 'Equals', this.exactValue());
      case '!=':
        return checked(key, 'NotEquals', this.exactValue());
      case '>':
        return checked(key, 'Gt', this.exactValue());
      case '<':
        return checked(key, 'Lt', this.exactValue());
      default:
        throw requirementError(`found '${op.text}', expected: ${OPERATOR_LIST}`);
    }
  }

  private exactValue(): string[] {
    const ahead = this.peek();
    if (ahead.kind === 'end' || ahead.kind === ',') return [''];
    const t = this.next();
    if (t.kind !== 'id') throw requirementError(`found '${t.text}', expected: identifier`);
    return [t.text];
  }

  private valueSet(): string[] {
    const open = this.next();
    if (open.kind !== '(') throw requirementError(`found '${open.text}' expected: '('`);
    const first = this.peek();
    if (first.kind === ')') {
      this.pos++;
      return [''];
    }
    if (first.kind !== 'id' && first.kind !== ',') {
      throw requirementError(`found '${first.text}', expected: ',', ')' or identifier`);
    }
    const values = new Set<string>();
    for (;;) {
      const t = this.next();
      if (t.kind === 'id') {
        values.add(t.text);
        const after = this.peek();
        if (after.kind === ')') break;
        if (after.kind !== ',') {
          throw requirementError(`found '${after.text}', expected: ',' or ')'`);
        }
      } else if (t.kind === ',') {
        // An empty item: "(,a)", "(a,,b)" and "(a,)" hold the empty value.
        if (values.size === 0) values.add('');
        const after = this.peek();
        if (after.kind === ')') {
          values.add('');
          break;
        }
        if (after.kind === ',') values.add('');
      } else {
        throw requirementError(`found '${t.text}', expected: ',', or identifier`);
      }
    }
    const close = this.next();
    if (close.kind !== ')') throw requirementError(`found '${close.text}', expected: ')'`);
    return [...values];
  }
}

function fail(message: string) {
  return apiErrors.badRequest(message);
}

function requirementError(detail: string) {
  return apiErrors.badRequest(`unable to parse requirement: ${detail}`);
}

/** Go's strconv.ParseInt(v, 10, 64) succeeds. */
function isInt64(v: string): boolean {
  if (!/^[+-]?[0-9]+$/.test(v)) return false;
  const n = BigInt(v);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

/** NewRequirement's checks of the values (the key was checked when read). */
function checked(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  const problems: string[] = [];
  if (operator === 'Gt' || operator === 'Lt') {
    values.forEach((v, i) => {
      if (!isInt64(v)) {
        problems.push(
          `values[${i}]: Invalid value: ${JSON.stringify(v)}: for 'Gt', 'Lt' operators, the value must be an integer`,
        );
      }
    });
  }
  values.forEach((v, i) => {
    const problem = labelValueProblem(v);
    if (problem)
      problems.push(`values[${i}][${key}]: Invalid value: ${JSON.stringify(v)}: ${problem}`);
  });
  if (problems.length === 1) throw requirementError(problems[0]);
  if (problems.length > 1) throw requirementError(`[${problems.join(', ')}]`);
  return { key, operator, values: [...values].sort() };
}

/** The requirements of a selector's text, sorted by key as Kubernetes keeps them. */
export function parseLabelSelectorText(text: string): LabelRequirement[] {
  if (Buffer.byteLength(text) > MAX_SELECTOR_BYTES) {
    throw fail(`labelSelector is longer than ${MAX_SELECTOR_BYTES} bytes`);
  }
  const requirements = new Parser(tokenize(text)).parse();
  return requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
