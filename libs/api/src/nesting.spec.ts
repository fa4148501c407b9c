import { parseDocument } from 'yaml';
import {
  jsonNestingProblem,
  MAX_NESTING_DEPTH,
  valueNestingProblem,
  yamlNestingProblem,
} from './nesting';

const arrays = (n: number) => '['.repeat(n) + ']'.repeat(n);
const objects = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
/** n mappings, each indented under the one before. */
const blockMaps = (n: number) => {
  let s = '';
  for (let i = 0; i < n; i++) s += `${' '.repeat(i)}a${i}:\n`;
  return `${s}${' '.repeat(n)}leaf: 1\n`;
};
/** A mapping whose value is a sequence at the same column, 2n levels in n steps of indentation. */
const seqsUnderMaps = (n: number) => {
  let s = 'top:\n';
  for (let i = 0; i < n; i++) s += `${' '.repeat(2 * i)}- k${i}:\n`;
  return s;
};

describe('JSON nesting', () => {
  it('accepts the limit and refuses one level more', () => {
    expect(jsonNestingProblem(arrays(MAX_NESTING_DEPTH))).toBeUndefined();
    expect(jsonNestingProblem(arrays(MAX_NESTING_DEPTH + 1))).toContain(
      `nest deeper than ${MAX_NESTING_DEPTH} levels`,
    );
    expect(jsonNestingProblem(objects(MAX_NESTING_DEPTH + 1))).toContain(
      "invalid character '{' exceeded max depth",
    );
  });

  it('counts brackets outside strings only, escaped quotes included', () => {
    const inString = JSON.stringify({ s: '['.repeat(5000), t: '"{'.repeat(5000) });
    expect(jsonNestingProblem(inString)).toBeUndefined();
    expect(jsonNestingProblem(`["\\\\", ${arrays(MAX_NESTING_DEPTH + 1)}]`)).toBeDefined();
  });

  it('measures depth, not the number of brackets', () => {
    const wide = `[${Array(10_000).fill('[[]]').join(',')}]`;
    expect(jsonNestingProblem(wide)).toBeUndefined();
  });

  it('reads bytes as well as text', () => {
    expect(jsonNestingProblem(Buffer.from(arrays(2000)))).toBeDefined();
  });
});

describe('YAML nesting, estimated from the lexer', () => {
  it.each([
    ['flow collections', (n: number) => `a: ${arrays(n)}\n`],
    ['block mappings', blockMaps],
    ['compact sequences on one line', (n: number) => `${'- '.repeat(n)}x\n`],
  ])('%s: the limit passes, one more does not', (_what, doc) => {
    expect(yamlNestingProblem(doc(MAX_NESTING_DEPTH - 1))).toBeUndefined();
    expect(yamlNestingProblem(doc(MAX_NESTING_DEPTH + 1))).toBe(
      `exceeded max depth of ${MAX_NESTING_DEPTH}`,
    );
  });

  it('counts a sequence at its mapping’s column as a level of its own', () => {
    const doc = seqsUnderMaps(MAX_NESTING_DEPTH / 2 + 1);
    expect(yamlNestingProblem(doc)).toBeDefined();
    expect(yamlNestingProblem(seqsUnderMaps(MAX_NESTING_DEPTH / 4))).toBeUndefined();
  });

  it('ignores brackets in quoted and block scalars, and comments', () => {
    const doc =
      `a: "${'['.repeat(2000)}"\nb: '${'{'.repeat(2000)}'\n` +
      `c: |\n  ${'['.repeat(2000)}\n  ${'- '.repeat(2000)}x\n# ${'['.repeat(2000)}\nd: 1\n`;
    expect(yamlNestingProblem(doc)).toBeUndefined();
    expect(parseDocument(doc).errors).toEqual([]);
  });

  it('leaves an ordinary manifest alone', () => {
    const doc = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx
        args: ["--a", "[x]"]
        env:
        - {name: A, value: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
`;
    expect(yamlNestingProblem(doc.repeat(20))).toBeUndefined();
  });
});

describe('nesting of parsed values', () => {
  it('finds values deeper than the limit without recursing', () => {
    expect(valueNestingProblem(JSON.parse(arrays(MAX_NESTING_DEPTH)))).toBeUndefined();
    expect(valueNestingProblem(JSON.parse(arrays(MAX_NESTING_DEPTH + 1)))).toBeDefined();
    expect(valueNestingProblem(JSON.parse(arrays(100_000)))).toBeDefined();
  });

  it('finds a YAML anchor used inside its own value', () => {
    const value = parseDocument('a: &x [1, *x]').toJS();
    expect(valueNestingProblem(value)).toBeDefined();
  });

  it('finds depth built by aliases from shallow text', () => {
    const levels = 300;
    let doc = `l0: &l0 ${arrays(levels)}\n`;
    for (let i = 1; i < 4; i++)
      doc += `l${i}: &l${i} ${'['.repeat(levels)}*l${i - 1}${']'.repeat(levels)}\n`;
    expect(yamlNestingProblem(doc)).toBeUndefined();
    expect(valueNestingProblem(parseDocument(doc).toJS())).toBeDefined();
  });
});
