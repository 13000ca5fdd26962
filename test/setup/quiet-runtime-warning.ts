// Every test file that builds a server imports oidc-provider, which on Node 20 warns that the runtime is
// unsupported: once per file, a dozen identical blocks per run. The global setup says it once instead;
// here each file drops exactly that warning and nothing else.
import { isUnsupportedRuntimeWarning } from '../../src/server/runtime-warning.js';

const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (!isUnsupportedRuntimeWarning(args)) warn(...args);
};
