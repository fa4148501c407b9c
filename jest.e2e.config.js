// Docker suites (testcontainers): they need a Docker engine and the images from `npm run images`.
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: require('./jest.swc.js'),
  // Transformed although under node_modules: ESM-only packages (see jest.swc.js).
  transformIgnorePatterns: ['/node_modules/(?!@marcbachmann/cel-js/)'],
  moduleNameMapper: require('./jest.aliases.js'),
  testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
  modulePathIgnorePatterns: ['<rootDir>/.deploy-cache/'],
  // testcontainers' reaper image cannot be pulled offline; the suites remove their own containers.
  setupFiles: ['<rootDir>/test/e2e/testcontainers-env.ts'],
  testTimeout: 300000,
};
