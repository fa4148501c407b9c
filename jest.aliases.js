// Maps the tsconfig path aliases (@flotilla/<lib>) for Jest; derived from tsconfig.json so the two never drift.
const { compilerOptions } = require('./tsconfig.json');

const mapper = {};
for (const [alias, targets] of Object.entries(compilerOptions.paths)) {
  const from = '^' + alias.replace('/*', '/(.*)') + '$';
  mapper[from] = '<rootDir>/' + targets[0].replace('/*', '/$1');
}
module.exports = mapper;
