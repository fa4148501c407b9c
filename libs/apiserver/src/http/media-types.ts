// Media types as the Kubernetes API server reads them: Content-Type of request bodies through Go's
// mime.ParseMediaType, Accept through goautoneg's clauses, with the server's own types in order.
import { PROTOBUF_MEDIA_TYPE } from '@flotilla/api';
import { acceptsOnlyProtobuf } from './content-types';

export const YAML_MEDIA_TYPE = 'application/yaml';
/** What request bodies and answers may be, in the server's order of preference. */
export const SERVED_MEDIA_TYPES = ['application/json', YAML_MEDIA_TYPE, PROTOBUF_MEDIA_TYPE];

export interface MediaType {
  /** type/subtype, lower case. */
  type: string;
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Go's mime.ParseMediaType: a type/subtype of token characters (lower-cased), then `; key=value`
 * parameters (a token or a quoted string), a trailing ";" allowed. Undefined when malformed.
 */
export function parseMediaType(text: string): MediaType | undefined {
  const semi = text.indexOf(';');
  const type = (semi < 0 ? text : text.slice(0, semi)).trim().toLowerCase();
  const slash = type.indexOf('/');
  if (slash <= 0 || !TOKEN.test(type.slice(0, slash)) || !TOKEN.test(type.slice(slash + 1)))
    return undefined;
  const params: Record<string, string> = {};
  let rest = semi < 0 ? '' : text.slice(semi + 1);
  while (rest.trim() !== '') {
    const m =
      /^\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*(;|$)/.exec(
        rest,
      );
    if (!m) return undefined;
    const value = m[2].startsWith('"') ? m[2].slice(1, -1).replace(/\\(.)/g, '$1') : m[2];
    Object.defineProperty(params, m[1].toLowerCase(), {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    rest = rest.slice(m[0].length);
  }
  return { type, params };
}

export type OutputFormat = 'json' | 'yaml' | 'protobuf';

export interface OutputChoice {
  format: OutputFormat;
  /** The chosen media range carried pretty=1. */
  pretty: boolean;
}

interface Clause {
  type: string;
  params: Record<string, string>;
  q: number;
}

function clauses(accept: string): Clause[] {
  const out: Clause[] = [];
  for (const part of accept.split(',')) {
    const [range, ...rawParams] = part.split(';').map((s) => s.trim());
    if (range === '') continue;
    const params: Record<string, string> = {};
    for (const p of rawParams) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
    }
    const q = params.q === undefined ? 1 : Number(params.q);
    out.push({ type: range.toLowerCase(), params, q: Number.isFinite(q) ? q : 1 });
  }
  // Higher q first; ties keep the client's order.
  return out
    .map((c, i) => ({ c, i }))
    .sort((a, b) => b.c.q - a.c.q || a.i - b.i)
    .map((e) => e.c);
}

/**
 * The format of an answer for an Accept header, or undefined when the client accepts none the
 * server writes (406). JSON wherever it is acceptable ahead of YAML; protobuf only for a client
 * that accepts nothing JSON satisfies (the protobuf codec covers some kinds only).
 */
export function negotiateOutput(accept: string): OutputChoice | undefined {
  if (accept.trim() === '') return { format: 'json', pretty: false };
  for (const c of clauses(accept)) {
    const pretty = c.params.pretty === '1';
    switch (c.type) {
      case 'application/json':
      case 'application/*':
      case '*/*':
        return { format: 'json', pretty };
      case YAML_MEDIA_TYPE:
        return { format: 'yaml', pretty };
      case PROTOBUF_MEDIA_TYPE:
        if (acceptsOnlyProtobuf(accept)) return { format: 'protobuf', pretty: false };
        break;
    }
  }
  return undefined;
}
