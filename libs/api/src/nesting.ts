// How deeply a request body may nest objects and arrays, checked before anything walks it.
//
// Kubernetes' decoders stop at 10000 levels (Go's encoding/json: "exceeded max depth"; go-yaml:
// "exceeded max depth of 10000"). Node's default stack overflows in JSON.stringify itself near
// 5000 levels and in the YAML composer near 1000, so Flotilla stops at 512: far deeper than any
// object the API serves (a Deployment nests about 12 levels), and shallow enough for every
// recursive walk the server makes. The checks here are linear and use no recursion.
import { CST, Lexer } from 'yaml';

export const MAX_NESTING_DEPTH = 512;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Why JSON text nests too deeply, or undefined when it does not. Only brackets outside strings
 * count; the text need not be valid JSON (JSON.parse reports that afterwards).
 */
export function jsonNestingProblem(
  text: Uint8Array | string,
  limit = MAX_NESTING_DEPTH,
): string | undefined {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  // Fewer bytes than the limit cannot open more levels than it.
  if (bytes.length <= limit) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) {
        return `invalid character '${String.fromCharCode(c)}' exceeded max depth: objects and arrays nest deeper than ${limit} levels`;
      }
    } else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && depth > 0) {
      depth--;
    }
  }
  return undefined;
}

/** A block node open at a column: sequences may sit at their parent mapping's column. */
interface BlockLevel {
  column: number;
  sequence: boolean;
}

/**
 * Why YAML text nests too deeply, or undefined. Runs the YAML lexer (iterative, linear) and counts
 * flow collections exactly and block collections by their columns, so the parser, whose
 * composer recurses, never sees a document deeper than the limit. Aliases can still build deeper
 * values from shallow text: check the parsed value with valueNestingProblem too.
 */
export function yamlNestingProblem(text: string, limit = MAX_NESTING_DEPTH): string | undefined {
  if (text.length <= limit) return undefined;
  const blocks: BlockLevel[] = [];
  let flow = 0;
  let column = 0;
  let lineStart = true;
  let expectNode = true;
  let scalarSource = false;
  const problem = `exceeded max depth of ${limit}`;
  const tooDeep = () => blocks.length + flow > limit;
  /** A block node begins at `at`: close the levels it is not inside of, open its own. */
  const blockNode = (at: number, sequence: boolean, opens: boolean): boolean => {
    for (let top = blocks[blocks.length - 1]; top; top = blocks[blocks.length - 1]) {
      const inside = top.column < at || (top.column === at && sequence && !top.sequence);
      if (inside) break;
      blocks.pop();
    }
    if (opens) blocks.push({ column: at, sequence });
    return tooDeep();
  };
  const advance = (source: string) => {
    const newline = source.lastIndexOf('\n');
    column = newline < 0 ? column + source.length : source.length - newline - 1;
  };
  for (const token of new Lexer().lex(text)) {
    if (scalarSource) {
      // The source of a plain or block scalar, after its marker.
      scalarSource = false;
      if (flow === 0 && expectNode && blockNode(column, false, true)) return problem;
      expectNode = false;
      lineStart = false;
      advance(token);
      if (token.endsWith('\n')) {
        // A block scalar's content ends its last line.
        lineStart = true;
        expectNode = true;
      }
      continue;
    }
    switch (CST.tokenType(token)) {
      case 'scalar':
        scalarSource = true;
        continue;
      case 'doc-mode':
      case 'flow-error-end':
      case 'directive-line':
        continue;
      case 'doc-start':
        blocks.length = 0;
        flow = 0;
        advance(token);
        continue;
      case 'newline':
        column = 0;
        lineStart = true;
        expectNode = true;
        continue;
      case 'space':
      case 'comment':
      case 'anchor':
      case 'tag':
      case 'byte-order-mark':
        advance(token);
        continue;
      case 'seq-item-ind':
      case 'explicit-key-ind':
        if (flow === 0 && expectNode && blockNode(column, token === '-', true)) return problem;
        column++;
        lineStart = false;
        continue;
      case 'map-value-ind':
        // ": value" opening a line belongs to an explicit key; the value may be a block node.
        expectNode = lineStart;
        column++;
        lineStart = false;
        continue;
      case 'flow-map-start':
      case 'flow-seq-start':
        if (flow === 0 && expectNode) blockNode(column, false, false);
        flow++;
        if (tooDeep()) return problem;
        expectNode = false;
        column++;
        lineStart = false;
        continue;
      case 'flow-map-end':
      case 'flow-seq-end':
        if (flow > 0) flow--;
        column++;
        continue;
      default:
        // Quoted scalars, aliases, block scalar headers, commas.
        if (flow === 0 && expectNode && token !== ',' && blockNode(column, false, true))
          return problem;
        expectNode = false;
        lineStart = false;
        advance(token);
    }
  }
  return undefined;
}

/**
 * Why a parsed value nests too deeply (or refers to itself, as a YAML anchor inside its own value
 * can make it), or undefined. Iterative: safe on any input.
 */
export function valueNestingProblem(value: unknown, limit = MAX_NESTING_DEPTH): string | undefined {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    // A value that contains itself nests without end, and hits the limit like any deep one.
    if (depth >= limit) return `exceeded max depth of ${limit}`;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const c of children) {
      if (typeof c === 'object' && c !== null) stack.push({ value: c, depth: depth + 1 });
    }
  }
  return undefined;
}
