// Waiting for a change another process made to reach a running server: clients, users, groups and the device
// CA are cached per node for up to cluster.cache_revalidate_seconds, so a test that changes them through the
// CLI (a separate process) polls for the change instead of guessing a delay.

/** Milliseconds until `check` holds, polling every 25 ms; fails with `what` past `timeoutMs`. */
export async function msUntil(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<number> {
  const began = Date.now();
  while (!(await check())) {
    if (Date.now() - began > timeoutMs) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Date.now() - began;
}
