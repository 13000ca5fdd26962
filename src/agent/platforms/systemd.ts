// Linux: a systemd timer that runs `latchkey-agent renew --check` daily, as the user (a user unit under
// ~/.config/systemd/user) or, when the agent runs as root, as a system unit under /etc/systemd/system.
// `renew --check` asks the server even before renewal is due, so a revoked device or distribution turned
// off is noticed within a day. A plan (plan.ts), because systemctl may not be there to run it.
import path from 'node:path';
import type { Plan } from './plan.js';

export const SYSTEMD_UNIT = 'latchkey-agent-renew';

export interface SystemdFacts {
  /** A system unit (root) or a user unit. */
  system: boolean;
  /** $XDG_CONFIG_HOME or ~/.config, for user units. */
  configHome: string;
  agentCommand: string[];
  /**
   * A system unit runs as the owner of the state directory (uid), so a renewal never leaves root-owned
   * files in a user's state or NSS database; absent (root's own state): as root.
   */
  runAs?: number;
}

export function systemdUnitDir(facts: Pick<SystemdFacts, 'system' | 'configHome'>): string {
  return facts.system ? '/etc/systemd/system' : path.join(facts.configHome, 'systemd', 'user');
}

/** The service: `renew --check` once. (network-online.target exists only in the system manager.) */
export function serviceUnit(agentCommand: readonly string[], system = false, runAs?: number): string {
  const network = system ? 'Wants=network-online.target\nAfter=network-online.target\n' : '';
  const user = system && runAs !== undefined && runAs !== 0 ? `User=${runAs}\n` : '';
  return `[Unit]
Description=Latchkey device certificate renewal
${network}
[Service]
Type=oneshot
${user}ExecStart=${[...agentCommand, 'renew', '--check'].map(systemdQuote).join(' ')}
# 4: certificate distribution is off and the agent removed the certificate, as it should
SuccessExitStatus=4
`;
}

export const TIMER_UNIT = `[Unit]
Description=Daily Latchkey device certificate renewal

[Timer]
OnCalendar=daily
RandomizedDelaySec=1h
Persistent=true

[Install]
WantedBy=timers.target
`;

export function timerInstallPlan(facts: SystemdFacts): Plan {
  const dir = systemdUnitDir(facts);
  const systemctl = facts.system ? [] : ['--user'];
  return {
    steps: [
      {
        kind: 'write',
        path: path.join(dir, `${SYSTEMD_UNIT}.service`),
        contents: serviceUnit(facts.agentCommand, facts.system, facts.runAs),
        mode: 0o644,
        why: 'the renewal service',
      },
      {
        kind: 'write',
        path: path.join(dir, `${SYSTEMD_UNIT}.timer`),
        contents: TIMER_UNIT,
        mode: 0o644,
        why: 'its daily timer',
      },
      { kind: 'run', command: 'systemctl', args: [...systemctl, 'daemon-reload'], why: 'let systemd read the units' },
      {
        kind: 'run',
        command: 'systemctl',
        args: [...systemctl, 'enable', '--now', `${SYSTEMD_UNIT}.timer`],
        why: 'start the timer now and at every boot',
      },
    ],
    cleanup: [],
  };
}

export function timerRemovePlan(facts: Pick<SystemdFacts, 'system' | 'configHome'>): Plan {
  const dir = systemdUnitDir(facts);
  const systemctl = facts.system ? [] : ['--user'];
  return {
    steps: [
      {
        kind: 'run',
        command: 'systemctl',
        args: [...systemctl, 'disable', '--now', `${SYSTEMD_UNIT}.timer`],
        why: 'stop the timer',
        mayFail: true,
      },
      { kind: 'delete', path: path.join(dir, `${SYSTEMD_UNIT}.timer`), why: 'delete the timer' },
      { kind: 'delete', path: path.join(dir, `${SYSTEMD_UNIT}.service`), why: 'delete the service' },
    ],
    cleanup: [],
  };
}

/** An ExecStart argument: quoted when it holds spaces, quotes, backslashes or specifiers (%). */
export function systemdQuote(arg: string): string {
  const escaped = arg.replaceAll('%', '%%');
  if (!/[\s"'\\$;]/.test(escaped)) return escaped;
  return `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('$', '$$$$')}"`;
}
