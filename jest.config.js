// Unit and integration tests: everything under apps/, libs/ and test/ except the Docker suites in test/e2e.
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: require('./jest.swc.js'),
  // Transformed although under node_modules: ESM-only packages (see jest.swc.js).
  transformIgnorePatterns: ['/node_modules/(?!@marcbachmann/cel-js/)'],
  moduleNameMapper: require('./jest.aliases.js'),
  testMatch: ['<rootDir>/{apps,libs,test,examples}/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/test/e2e/'],
  // Staged copies of package.json and node_modules for the images (deploy/build-images.sh).
  modulePathIgnorePatterns: ['<rootDir>/.deploy-cache/'],
  testTimeout: 60000,
  testSequencer: '<rootDir>/jest.sequencer.js',
};
