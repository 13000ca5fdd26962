// oidc-provider 9 prints "oidc-provider WARNING: Unsupported runtime..." through console.warn when it is
// imported on Node 20 (its engines start at 22). The server shows it once at start, where it belongs;
// a CLI command that needs oidc-provider for one check, and every test file, import it without it.

/** True for exactly oidc-provider's Unsupported-runtime warning (coloured or not), nothing else. */
export function isUnsupportedRuntimeWarning(args: readonly unknown[]): boolean {
  return typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime');
}

/** Runs `load` (an import of oidc-provider) with that one warning dropped from console.warn. */
export async function withoutRuntimeWarning<T>(load: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!isUnsupportedRuntimeWarning(args)) warn(...args);
  };
  try {
    return await load();
  } finally {
    console.warn = warn;
  }
}
