// What every `latchkey` command shares: configuration, opening the stores, one-line errors, exit codes,
// and reading secrets without echoing them.
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { isLatchkeyError } from '../errors.js';
import type { OpenServicesOptions, Services } from '../server/services.js';

/** Exit codes: 0 ok, 1 failure, 2 bad usage or configuration. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface GlobalOptions {
  config?: string;
}

export function readConfig(options: GlobalOptions): LoadedConfig {
  return loadConfig({ file: options.config });
}

/**
 * Runs `work` with the stores open, closing them afterwards whatever happens. Only the device commands
 * ask for the device-trust service; the stores and logger are imported here, not at the top, so that
 * `--help` and `config check` do not load database drivers.
 */
export async function withServices<T>(
  options: GlobalOptions,
  work: (services: Services) => Promise<T>,
  open: OpenServicesOptions = { deviceTrust: false },
): Promise<T> {
  const config = readConfig(options);
  const [{ createLogger }, { openServices }] = await Promise.all([
    import('../log.js'),
    import('../server/services.js'),
  ]);
  // The CLI logs only problems, to stderr: stdout carries the command's answer.
  const log = createLogger(process.env.LATCHKEY_LOG_LEVEL ?? 'warn', process.stderr);
  const services = await openServices(config, log, process.env, open);
  try {
    return await work(services);
  } finally {
    await services.close();
  }
}

/** Prints a one-line reason and exits non-zero. */
export function fail(error: unknown): never {
  const message = isLatchkeyError(error) ? error.message : error instanceof Error ? error.message : String(error);
  process.stderr.write(`latchkey: ${message}\n`);
  const usage = isLatchkeyError(error) && (error.code === 'ERR_CONFIG_INVALID' || error.code.startsWith('ERR_USAGE'));
  process.exit(usage ? EXIT_USAGE : EXIT_FAILURE);
}

export { readSecret } from './secret.js';

/** Prints rows as an aligned text table. */
export function printTable(headers: string[], rows: Array<Array<string | number | null | undefined>>): void {
  const cells = [
    headers,
    ...rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell)))),
  ];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  for (const row of cells)
    process.stdout.write(
      row
        .map((cell, i) => (cell ?? '').padEnd(widths[i]!))
        .join('  ')
        .trimEnd() + '\n',
    );
}

export function isoTime(ms: number | null | undefined): string {
  return ms ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}

/** Commander collector for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
