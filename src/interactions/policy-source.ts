// Where the policy set in force comes from: the configured file (or the built-in set), reloaded on
// demand. A bad file never replaces a good set; if no good set was ever loaded, sign-ins fail closed.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { formatPolicyFileIssue, parsePolicyFile, type PolicyFileIssue, type PolicySet } from '../policies/index.js';

/** Used when no policy file exists: sign-in alone for our own and third-party apps, deny factor clients. */
export const BUILT_IN_POLICIES = `default:
  first_party: allow
  third_party: allow
  factor: deny
policies: []
`;
export const BUILT_IN_SOURCE = '(built-in policies)';

export type ReloadResult =
  { ok: true; source: string; policies: number } | { ok: false; source: string; issues: readonly PolicyFileIssue[] };

/** The file to read: the configured one, else config/policies.yaml if present, else none (built-in). */
export function resolvePolicyFile(configured: string | null, cwd = process.cwd()): string | null {
  if (configured) return path.resolve(cwd, configured);
  const conventional = path.resolve(cwd, 'config', 'policies.yaml');
  return existsSync(conventional) ? conventional : null;
}

/** Reads and parses a policy file without side effects (used by reload and `latchkey policy check`). */
export function readPolicyFile(
  file: string | null,
): { ok: true; policySet: PolicySet } | { ok: false; issues: readonly PolicyFileIssue[] } {
  if (file === null) return parsePolicyFile(BUILT_IN_POLICIES, BUILT_IN_SOURCE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    // Line 0: a problem with the file as a whole, not at a position in it.
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? 'policy file not found: create it (start from config/policies.example.yaml) or set policies.file or LATCHKEY_POLICIES to an existing file'
        : code === 'EACCES'
          ? 'the policy file is not readable by the user Latchkey runs as'
          : `cannot read the policy file: ${code ?? String(error)}`;
    return { ok: false, issues: [{ file, line: 0, column: 0, path: '', message }] };
  }
  const result = parsePolicyFile(text, file);
  // After a YAML syntax error the parser's further errors are mostly echoes of it: report the first.
  // (The parser itself, src/policies/parse.ts, is the better home for this.)
  if (!result.ok && result.issues.length > 1 && result.issues.every((i) => i.message.startsWith('YAML syntax:'))) {
    return { ok: false, issues: result.issues.slice(0, 1) };
  }
  return result;
}

export class PolicySource {
  #current: PolicySet | undefined;

  constructor(
    readonly file: string | null,
    private readonly log: Logger,
  ) {}

  /** Loads the file again; keeps the last good set when it is bad. */
  reload(): ReloadResult {
    const source = this.file ?? BUILT_IN_SOURCE;
    const result = readPolicyFile(this.file);
    if (!result.ok) {
      this.log.error(
        {
          source,
          issues: result.issues.map(formatPolicyFileIssue),
          keeping: this.#current ? 'last good policy set' : 'none (sign-ins fail closed)',
        },
        'policy file rejected',
      );
      return { ok: false, source, issues: result.issues };
    }
    this.#current = result.policySet;
    this.log.info({ source, policies: result.policySet.policies.length }, 'policies loaded');
    return { ok: true, source, policies: result.policySet.policies.length };
  }

  /** The set in force; throws (fail closed) when no good set was ever loaded. */
  current(): PolicySet {
    if (!this.#current) {
      throw new UnavailableError(
        'ERR_POLICIES_UNAVAILABLE',
        'Sign-in is unavailable: the access policies could not be loaded. Contact your administrator.',
      );
    }
    return this.#current;
  }

  get loaded(): boolean {
    return this.#current !== undefined;
  }
}
