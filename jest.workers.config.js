// Worker suites: real containerd per worker in network namespaces, as root (npm run test:workers).
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: require('./jest.swc.js'),
  // Transformed although under node_modules: ESM-only packages (see jest.swc.js).
  transformIgnorePatterns: ['/node_modules/(?!@marcbachmann/cel-js/)'],
  moduleNameMapper: require('./jest.aliases.js'),
  testMatch: ['<rootDir>/test/workers/**/*.root-spec.ts'],
  modulePathIgnorePatterns: ['<rootDir>/.deploy-cache/'],
  testTimeout: 120000,
};
