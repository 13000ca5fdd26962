// Errors of the policy engine, in the LatchkeyError family. A bad policy file carries every problem found,
// each naming the file, line, column and field path, so an operator can fix them all in one pass.
import { LatchkeyError } from '../errors.js';

/** One problem in a policy file. Line and column are 1-based. */
export interface PolicyFileIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Field path such as `policies[2].conditions.ip[0]`; empty for the document itself. */
  readonly path: string;
  /** The name of the policy the problem is in, when known. */
  readonly policy?: string;
  readonly message: string;
}

/** `file:line:column: path: message`, the form editors and CI logs link to. */
export function formatPolicyFileIssue(issue: PolicyFileIssue): string {
  const where = issue.policy === undefined ? issue.path : `${issue.path} (policy "${issue.policy}")`;
  return `${issue.file}:${issue.line}:${issue.column}: ${where === '' ? '' : `${where}: `}${issue.message}`;
}

/** A policy file that cannot be used; the last good policy set stays in force. */
export class PolicyFileError extends LatchkeyError {
  readonly issues: readonly PolicyFileIssue[];

  constructor(file: string, issues: readonly PolicyFileIssue[]) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    const first = issues[0] === undefined ? '' : `: ${formatPolicyFileIssue(issues[0])}`;
    super('ERR_POLICY_FILE_INVALID', `policy file ${file} has ${count}${first}`, {
      status: 500,
      detail: { file, issues },
    });
    this.issues = issues;
  }
}
