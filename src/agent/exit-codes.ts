// Exit codes of `latchkey-agent`, stable for cron jobs and systemd units (documented in docs/device-trust.md).

export const AGENT_EXIT = {
  /** Done: enrolled, renewed, or renewal not due yet. */
  ok: 0,
  /** Local problem: bad arguments, not enrolled, damaged state, NSS tools missing. */
  localError: 1,
  /** The server refused: token invalid or used, device or certificate revoked or expired. Enroll again. */
  refused: 2,
  /** Network or server error (including rate limiting): try again later. */
  unavailable: 3,
  /** Certificate distribution is off: the agent removed its certificates. */
  distributionOff: 4,
} as const;

export type AgentExitCode = (typeof AGENT_EXIT)[keyof typeof AGENT_EXIT];
