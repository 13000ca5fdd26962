// Policy-file problems as the server's banner and the `latchkey policy` commands print them.
import { formatPolicyFileIssue, type PolicyFileIssue } from '../policies/index.js';

/**
 * `file:line:column: message`, or `file: message` for a problem with the file as a whole (line 0: it is
 * missing or unreadable), where a position would only say ":0:0".
 */
export function describePolicyIssue(issue: PolicyFileIssue): string {
  return issue.line > 0 ? formatPolicyFileIssue(issue) : `${issue.file}: ${issue.message}`;
}

/** "1 problem", "3 problems". */
export function problemCount(issues: readonly unknown[]): string {
  return issues.length === 1 ? '1 problem' : `${issues.length} problems`;
}
