/** @type {import('jest').Config} */
const swc = JSON.parse(require('node:fs').readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swc.$schema;
swc.module.ignoreDynamic = false;

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { ...swc, swcrc: false }] },
  // oidc-provider and its dependencies are ESM-only: let swc turn them into CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(oidc-provider|jose|koa|@koa|quick-lru|nanoid|oidc-token-hash|eta|got|openid-client|oauth4webapi)/)'],
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  setupFiles: ['reflect-metadata'],
  testTimeout: 30000,
  // One test file at a time: every file shares the broker, and services started by one file
  // (device subgraph, ingestion worker) would otherwise also handle another file's messages.
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
};
