// Where the policy set in force comes from. Policy files are validated and then published to the database;
// the newest published set is in force on every node (each node follows it, see server/cluster-sync.ts).
// A set that does not parse never replaces a good one; if no good set was ever loaded, sign-ins fail
// closed. With nothing published and no file, the built-in set applies.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { formatPolicyFileIssue, parsePolicyFile, type PolicyFileIssue, type PolicySet } from '../policies/index.js';
import type { PublishedPolicySet } from '../store/cluster.js';

/**
 * Used when no policy file exists: sign-in alone for every client. A factor client (another IdP) is
 * allowed only once a trusted device is proven: every factor sign-in needs one (interactions/flow.ts),
 * whatever the policies say, so an administrator needs no policy to get a factor working.
 */
export const BUILT_IN_POLICIES = `default:
  first_party: allow
  third_party: allow
  factor: allow
policies: []
`;
export const BUILT_IN_SOURCE = '(built-in policies)';

export type PolicyFileRead =
  | { ok: true; source: string; text: string; policySet: PolicySet }
  | { ok: false; source: string; issues: readonly PolicyFileIssue[] };

/** The port published policy sets are kept behind (store/cluster.ts implements it). */
export interface PolicySetStore {
  latestVersion(): Promise<number>;
  latest(): Promise<PublishedPolicySet | undefined>;
  wasPublished(text: string): Promise<boolean>;
  publish(input: {
    text: string;
    source: string;
    policies: number;
    by: string | null;
    expectedVersion?: number;
  }): Promise<{
    version: number;
    changed: boolean;
  }>;
}

/** The file to read: the configured one, else config/policies.yaml if present, else none (built-in). */
export function resolvePolicyFile(configured: string | null, cwd = process.cwd()): string | null {
  if (configured) return path.resolve(cwd, configured);
  const conventional = path.resolve(cwd, 'config', 'policies.yaml');
  return existsSync(conventional) ? conventional : null;
}

/** Reads and parses a policy file without side effects; `null` is the built-in set. */
export function readPolicyFile(file: string | null): PolicyFileRead {
  if (file === null) return parsePolicyText(BUILT_IN_POLICIES, BUILT_IN_SOURCE);
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
    return { ok: false, source: file, issues: [{ file, line: 0, column: 0, path: '', message }] };
  }
  return parsePolicyText(text, file);
}

/** Parses policy text named `source` (a file, or an admin's draft) without side effects. */
export function parsePolicyText(text: string, source: string): PolicyFileRead {
  const result = parsePolicyFile(text, source);
  if (result.ok) return { ok: true, source, text, policySet: result.policySet };
  // After a YAML syntax error the parser's further errors are mostly echoes of it: report the first.
  // (The parser itself, src/policies/parse.ts, is the better home for this.)
  const yamlOnly = result.issues.length > 1 && result.issues.every((i) => i.message.startsWith('YAML syntax:'));
  return { ok: false, source, issues: yamlOnly ? result.issues.slice(0, 1) : result.issues };
}

export type PublishResult =
  | { ok: true; source: string; policies: number; version: number; changed: boolean }
  | { ok: false; source: string; issues: readonly PolicyFileIssue[] };

/**
 * Validates `file` and publishes it as the set in force for every node. With `onlyIfNew` (a node starting
 * up), content that was ever published before is left alone, so a node with a stale copy of the file
 * cannot roll the cluster back. With no file (`null`), the built-in set replaces a set published from a
 * file only when `builtIn` says so: a reload run where no policy file is configured (another working
 * directory, a missing LATCHKEY_POLICIES) must not turn every node's policies into the built-in ones.
 */
export async function publishPolicyFile(
  file: string | null,
  store: PolicySetStore,
  by: string,
  options: { onlyIfNew?: boolean; builtIn?: boolean } = {},
): Promise<PublishResult> {
  if (file === null && !options.builtIn) {
    const latest = await store.latest();
    if (latest && latest.source !== BUILT_IN_SOURCE) {
      const message =
        `no policy file is configured here (policies.file and LATCHKEY_POLICIES are unset and there is no ` +
        `config/policies.yaml in ${process.cwd()}), and every node runs version ${latest.version} from ` +
        `${latest.source}: set LATCHKEY_POLICIES to that file, or pass --built-in to return to the built-in set`;
      return {
        ok: false,
        source: BUILT_IN_SOURCE,
        issues: [{ file: BUILT_IN_SOURCE, line: 0, column: 0, path: '', message }],
      };
    }
  }
  const read = readPolicyFile(file);
  if (!read.ok) return read;
  const policies = read.policySet.policies.length;
  if (options.onlyIfNew && (await store.wasPublished(read.text))) {
    return { ok: true, source: read.source, policies, version: await store.latestVersion(), changed: false };
  }
  const { version, changed } = await store.publish({ text: read.text, source: read.source, policies, by });
  return { ok: true, source: read.source, policies, version, changed };
}

export function countPolicies(n: number): string {
  return `${n} ${n === 1 ? 'policy' : 'policies'}`;
}

export type ApplyResult =
  | { ok: true; source: string; version: number; policies: number }
  | { ok: false; source: string; version: number; issues: readonly PolicyFileIssue[] };

/** The policy set in force on this node, and the published version it came from (0: built-in). */
export class PolicySource {
  #current: { set: PolicySet; version: number } | undefined;

  constructor(private readonly log: Logger) {}

  /** Puts a published set in force (undefined: the built-in set); keeps the last good set when it does not parse. */
  apply(published: PublishedPolicySet | undefined): ApplyResult {
    const version = published?.version ?? 0;
    const source = published?.source ?? BUILT_IN_SOURCE;
    const result = parsePolicyFile(published?.text ?? BUILT_IN_POLICIES, source);
    if (!result.ok) {
      this.log.error(
        {
          source,
          version,
          issues: result.issues.map(formatPolicyFileIssue),
          keeping: this.#current ? `version ${this.#current.version}` : 'none (sign-ins fail closed)',
        },
        'published policy set rejected',
      );
      return { ok: false, source, version, issues: result.issues };
    }
    this.#current = { set: result.policySet, version };
    const policies = result.policySet.policies.length;
    this.log.info({ source, version, policies }, `policy set ${version} in force (${countPolicies(policies)})`);
    return { ok: true, source, version, policies };
  }

  /** Puts a set read directly from a file in force (what-if with --file); it has no published version. */
  use(policySet: PolicySet): void {
    this.#current = { set: policySet, version: -1 };
  }

  /** The set in force; throws (fail closed) when no good set was ever loaded. */
  current(): PolicySet {
    if (!this.#current) {
      throw new UnavailableError(
        'ERR_POLICIES_UNAVAILABLE',
        'Sign-in is unavailable: the access policies could not be loaded. Contact your administrator.',
      );
    }
    return this.#current.set;
  }

  /** The published version in force, or undefined when none is. */
  get version(): number | undefined {
    return this.#current?.version;
  }

  get loaded(): boolean {
    return this.#current !== undefined;
  }
}
