// Jest runs TypeScript as native ESM through ts-jest: `npm test` passes --experimental-vm-modules, the
// preset needs useESM with extensionsToTreatAsEsm, and the mapper strips the `.js` that NodeNext imports
// carry so ts-jest finds the `.ts` file. ts-jest's diagnostic 151002 (hybrid module kind NodeNext
// needs isolatedModules) is moot: tsconfig.json sets isolatedModules.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Brings dist/ up to date for the tests that spawn bin/ (the CLI and the server run the build).
  globalSetup: '<rootDir>/test/setup/global-setup.js',
  setupFiles: ['<rootDir>/test/setup/quiet-runtime-warning.ts'],
  testTimeout: 60000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/summary-reporter.cjs'],
};
