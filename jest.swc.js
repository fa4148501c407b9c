// Shared @swc/jest transform: decorators with metadata, so Nest DI works under test exactly as in the build.
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

module.exports = {
  '^.+\\.ts$': ['@swc/jest', swc],
  // ESM-only dependencies (the CEL evaluator): Node 20 requires them natively, Jest needs CommonJS.
  '/node_modules/@marcbachmann/cel-js/.+\\.js$': [
    '@swc/jest',
    { ...swc, jsc: { ...swc.jsc, parser: { syntax: 'ecmascript' } } },
  ],
};
