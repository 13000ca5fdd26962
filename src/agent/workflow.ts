// The agent's commands as functions: enroll, renew, status, remove and export-p12. Each gathers facts
// (state, clock, OS), calls the pure trust code and the server, acts on disk, NSS and the browser policy,
// and returns an exit code with the lines to print. The CLI front end only parses flags and prints.
import { createPublicKey } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { LatchkeyError } from '../errors.js';
import { parseCertificate } from '../trust/certificate-input.js';
import { joinPem } from '../trust/pem.js';
import { DEFAULT_RENEWAL_FRACTION, renewalStatus, renewalWindow } from '../trust/renewal.js';
import { x509 } from '../trust/x509.js';
import {
  AgentRequestError,
  type CertificateResponse,
  requestEnrollment,
  requestPasskeyLink,
  requestRenewal,
} from './client.js';
import { AGENT_EXIT, type AgentExitCode } from './exit-codes.js';
import { newDeviceKey } from './keys.js';
import { diagnose, type DoctorEnvironment, renderFindings } from './doctor.js';
import { installCertificate, prepareForRenewal, uninstallCertificate, writeBrowserPolicies } from './install.js';
import { type NssOptions, NSS_NICKNAME } from './nss.js';
import { type Executor, runPlan, systemExecutor } from './platforms/plan.js';
import { SYSTEMD_UNIT, systemdUnitDir, timerInstallPlan, timerRemovePlan } from './platforms/systemd.js';
import { buildPkcs12 } from './pkcs12.js';
import { collectPosture, type DevicePosture } from './posture.js';
import { type AgentState, loadAgentState, removeAgentState, saveAgentState, writeFileAtomic } from './state.js';

/** Server error code for a renewal that is refused only because it is not due yet. */
export const RENEWAL_NOT_DUE_CODE = 'ERR_RENEWAL_NOT_DUE';
/** Server refusals that mean this device's certificate is dead for good: only a new enrollment helps. */
const REVOKED_CODES = new Set(['ERR_DEVICE_REVOKED', 'ERR_CERT_REVOKED', 'ERR_CERT_UNKNOWN']);
/** Port of the device-check listener when the server does not name its URL. */
const DEFAULT_DEVICE_CHECK_PORT = '8444';

/** The systems the agent installs on: Linux for real; macOS and Windows through plans (platforms/). */
export type AgentPlatform = 'linux' | 'macos' | 'windows';

export interface AgentEnvironment {
  stateDir: string;
  /** Default linux. */
  platform?: AgentPlatform;
  /** NSS database to install into; `false` skips NSS (Linux only). */
  nss: NssOptions | false;
  /** Chrome/Chromium-family managed policy directories to write the auto-select policy to (Linux). */
  chromePolicyDirs: string[];
  /** Where `remove` looks for the policy (default chromePolicyDirs): every family member's, installed or not. */
  chromePolicyDirsToClean?: string[];
  /** Firefox on Linux: profile roots (each holding profiles.ini) and the system policy directory. */
  firefox: FirefoxTarget | false;
  now: () => Date;
  /** Posture source (default: read from the OS). */
  posture?: () => Promise<DevicePosture>;
  /** Server calls (default: the real HTTP client); tests substitute them. */
  server?: {
    requestEnrollment: typeof requestEnrollment;
    requestRenewal: typeof requestRenewal;
    requestPasskeyLink?: typeof requestPasskeyLink;
  };
  /** Runs macOS and Windows plans (default: this system). */
  executor?: Executor;
  /** The user's home and uid (macOS keychain and launch agent). */
  home?: string;
  uid?: number;
  /** The agent's own command line (executable and global flags) for renewal jobs. */
  agentCommand?: string[];
}

export interface FirefoxTarget {
  profileRoots: string[];
  /** Where policies.json goes; `false` leaves Firefox's policies alone. */
  policyDir: string | false;
}

/** What a command did: the exit code and the lines to print, in order. */
export interface AgentReport {
  exitCode: AgentExitCode;
  lines: string[];
}

export interface EnrollOptions {
  serverUrl: string;
  token: string;
  /** Device-check URL if the server does not send it (default: server host on port 8444). */
  deviceCheckUrl?: string;
  /** Extra CA (PEM) for the server's TLS certificate. */
  serverCaPem?: string;
}

/** `latchkey-agent enroll`: new key, CSR + token + posture to /device/enroll, then store and install. */
export async function enroll(options: EnrollOptions, env: AgentEnvironment): Promise<AgentReport> {
  const lines: string[] = [];
  return guarded(lines, async () => {
    const posture = await (env.posture ?? collectPosture)();
    const key = await newDeviceKey(posture.hostname);
    const response = await server(env).requestEnrollment(
      options.serverUrl,
      { token: options.token, csr: key.csrPem, posture },
      { serverCaPem: options.serverCaPem },
    );
    checkIssued(response, key.privateKeyPem);
    const now = env.now().toISOString();
    const state: AgentState = {
      version: 1,
      serverUrl: options.serverUrl,
      deviceCheckUrl: response.deviceCheckUrl ?? options.deviceCheckUrl ?? deriveDeviceCheckUrl(options.serverUrl),
      deviceId: response.deviceId,
      privateKeyPem: key.privateKeyPem,
      certificatePem: response.certificate,
      chainPem: response.chain,
      ...(options.serverCaPem ? { serverCaPem: options.serverCaPem } : {}),
      enrolledAt: now,
    };
    lines.push(`enrolled device ${state.deviceId}; certificate valid until ${response.notAfter}`);
    return install(state, env, lines);
  });
}

export interface RenewOptions {
  /** Renew even if not due. */
  force?: boolean;
  /** Generate a new key and send a CSR (default: re-certify the current key). */
  newKey?: boolean;
  /** Fraction of the lifetime after which renewal is due (default 2/3). */
  fraction?: number;
  /** When not due, still ask the server (learns at once that distribution was switched off). */
  checkServer?: boolean;
}

/** `latchkey-agent renew`: does nothing before the renewal window unless forced; exit codes in exit-codes.ts. */
export async function renew(options: RenewOptions, env: AgentEnvironment): Promise<AgentReport> {
  const lines: string[] = [];
  return guarded(lines, async () => {
    const state = await enrolledState(env);
    await prepareForRenewal(env, lines);
    const certificate = parseCertificate(state.certificatePem);
    const now = env.now();
    const fraction = options.fraction ?? DEFAULT_RENEWAL_FRACTION;
    const status = renewalStatus(certificate.notBefore, certificate.notAfter, now, fraction);
    if (status === 'expired') {
      lines.push(`the certificate expired at ${certificate.notAfter.toISOString()}: enroll again with a new token`);
      return AGENT_EXIT.refused;
    }
    const due = status === 'due' || options.force === true;
    if (!due && !options.checkServer) {
      const opensAt = renewalWindow(certificate.notBefore, certificate.notAfter, fraction).opensAt;
      lines.push(`renewal not due until ${opensAt.toISOString()}`);
      return AGENT_EXIT.ok;
    }
    const key = options.newKey && due ? await newDeviceKey() : null;
    let response: CertificateResponse | null;
    try {
      response = await renewOrNotDue(state, key?.csrPem, env, lines);
    } catch (error) {
      if (error instanceof AgentRequestError && REVOKED_CODES.has(error.code)) {
        // Remembered, so that `status` shows it without asking the server again.
        await saveAgentState(env.stateDir, { ...state, revoked: { at: now.toISOString(), reason: error.message } });
        lines.push(`renewal refused: ${error.message}`, reEnrollHint(state));
        return AGENT_EXIT.refused;
      }
      if (!(error instanceof AgentRequestError && error.outcome === 'distribution-off')) throw error;
      lines.push('certificate distribution is switched off: removing the device certificate');
      await uninstall(env, lines);
      return AGENT_EXIT.distributionOff;
    }
    if (!response) return AGENT_EXIT.ok;
    const privateKeyPem = key?.privateKeyPem ?? state.privateKeyPem;
    checkIssued(response, privateKeyPem, state.deviceId);
    const renewed: AgentState = {
      ...state,
      privateKeyPem,
      certificatePem: response.certificate,
      chainPem: response.chain,
      deviceCheckUrl: response.deviceCheckUrl ?? state.deviceCheckUrl,
      renewedAt: now.toISOString(),
    };
    lines.push(`renewed; certificate valid until ${response.notAfter}${key ? ' (new key)' : ''}`);
    return install(renewed, env, lines, state);
  });
}

/** `latchkey-agent status`: enrollment, certificate validity and renewal window. */
export async function status(env: AgentEnvironment, fraction = DEFAULT_RENEWAL_FRACTION): Promise<AgentReport> {
  const state = await loadAgentState(env.stateDir);
  if (!state) return { exitCode: AGENT_EXIT.localError, lines: ['not enrolled'] };
  const certificate = parseCertificate(state.certificatePem);
  const window = renewalWindow(certificate.notBefore, certificate.notAfter, fraction);
  if (state.revoked) {
    return {
      exitCode: AGENT_EXIT.refused,
      lines: [
        `device ${state.deviceId} enrolled at ${state.serverUrl} on ${state.enrolledAt}`,
        `REVOKED: the server refused this device on ${state.revoked.at} (${state.revoked.reason})`,
        reEnrollHint(state),
      ],
    };
  }
  return {
    exitCode: AGENT_EXIT.ok,
    lines: [
      `device ${state.deviceId} enrolled at ${state.serverUrl} on ${state.enrolledAt}`,
      `certificate ${certificate.subjectName.getField('CN')[0] ?? ''} (serial ${certificate.serialNumber})`,
      `valid ${certificate.notBefore.toISOString()} to ${certificate.notAfter.toISOString()}; issuer ${certificate.issuer}`,
      `renewal ${renewalStatus(certificate.notBefore, certificate.notAfter, env.now(), fraction)}; window opens ${window.opensAt.toISOString()}`,
      `device check ${state.deviceCheckUrl}; state ${env.stateDir}`,
    ],
  };
}

/** `latchkey-agent remove`: deletes the NSS entries, the browser policy and the state (key included). */
export async function remove(env: AgentEnvironment): Promise<AgentReport> {
  const lines: string[] = [];
  return guarded(lines, async () => {
    await uninstall(env, lines);
    return AGENT_EXIT.ok;
  });
}

/** `latchkey-agent export-p12 --out FILE`: writes key and chain as a password-protected PKCS#12 (0600). */
export async function exportP12(
  options: { out: string; password: string },
  env: AgentEnvironment,
): Promise<AgentReport> {
  const lines: string[] = [];
  return guarded(lines, async () => {
    const state = await enrolledState(env);
    const pkcs12 = await buildPkcs12({
      privateKeyPem: state.privateKeyPem,
      certificatePem: state.certificatePem,
      chainPem: state.chainPem,
      password: options.password,
      friendlyName: NSS_NICKNAME,
    });
    const out = path.resolve(options.out);
    await writeFileAtomic(out, pkcs12);
    lines.push(`wrote PKCS#12 (key and ${state.chainPem.length + 1} certificates) to ${out}`);
    return AGENT_EXIT.ok;
  });
}

/** `latchkey-agent policy`: (re)writes only the browser policies from the stored enrollment (e.g. as root). */
export async function policy(env: AgentEnvironment): Promise<AgentReport> {
  const lines: string[] = [];
  return guarded(lines, async () => {
    await writeBrowserPolicies(await enrolledState(env), env, lines);
    if (!lines.length) lines.push('no browser found to write a policy for (see --policy-dir)');
    return AGENT_EXIT.ok;
  });
}

/**
 * `latchkey-agent install-timer` / `remove-timer`: the daily `renew --check` job (Linux: a systemd user
 * timer, or a system one as root). The unit files are written first; when systemctl cannot enable them
 * (no systemd session) the report names that step and the command to run.
 */
export async function installTimer(
  env: AgentEnvironment & { system: boolean; configHome: string },
): Promise<AgentReport> {
  const lines: string[] = [];
  return guarded(lines, async () => {
    await enrolledState(env);
    const runAs = env.system ? (await stat(env.stateDir)).uid : undefined;
    const plan = timerInstallPlan({
      system: env.system,
      configHome: env.configHome,
      agentCommand: env.agentCommand ?? [],
      runAs,
    });
    const outcome = await runPlan(plan, env.executor ?? systemExecutor);
    lines.push(...outcome.lines);
    const dir = systemdUnitDir(env);
    if (!outcome.ok) {
      lines.push(
        outcome.failure!,
        `the units are in ${dir}; once systemd runs, enable them with: systemctl ${env.system ? '' : '--user '}enable --now ${SYSTEMD_UNIT}.timer`,
      );
      return AGENT_EXIT.localError;
    }
    lines.push(`renewal runs daily: ${SYSTEMD_UNIT}.timer in ${dir}`);
    return AGENT_EXIT.ok;
  });
}

export async function removeTimer(
  env: AgentEnvironment & { system: boolean; configHome: string },
): Promise<AgentReport> {
  const lines: string[] = [];
  return guarded(lines, async () => {
    const outcome = await runPlan(timerRemovePlan(env), env.executor ?? systemExecutor);
    if (!outcome.ok) {
      lines.push(...outcome.lines, outcome.failure!);
      return AGENT_EXIT.localError;
    }
    lines.push(...outcome.lines, `removed ${SYSTEMD_UNIT}.timer and .service from ${systemdUnitDir(env)}`);
    return AGENT_EXIT.ok;
  });
}

/** `latchkey-agent install`: installs the stored certificate again everywhere (after a browser or profile came). */
export async function reinstall(env: AgentEnvironment): Promise<AgentReport> {
  const lines: string[] = [];
  return guarded(lines, async () => {
    await installCertificate(await enrolledState(env), null, env, lines);
    return AGENT_EXIT.ok;
  });
}

/** `latchkey-agent doctor`: every check with what to fix; exit 1 when something needs fixing. */
export async function doctor(env: DoctorEnvironment): Promise<AgentReport> {
  const findings = await diagnose(env);
  const lines = renderFindings(findings);
  const broken = findings.filter((finding) => finding.verdict === 'fix').length;
  lines.push(broken ? `${broken} thing(s) to fix` : 'everything is in place for the device check');
  return { exitCode: broken ? AGENT_EXIT.localError : AGENT_EXIT.ok, lines };
}

/** What to do about a revoked device: the enroll command for the same server. */
function reEnrollHint(state: AgentState): string {
  const caFile = state.serverCaPem ? ' --ca-file FILE' : '';
  return (
    'ask your administrator for a new enrollment token (latchkey devices enroll-token USER), then run: ' +
    `latchkey-agent enroll --server ${state.serverUrl} --token TOKEN${caFile}`
  );
}

/** The device-check URL when nobody named it: the server's host on port 8444. */
export function deriveDeviceCheckUrl(serverUrl: string): string {
  const url = new URL(serverUrl);
  url.port = DEFAULT_DEVICE_CHECK_PORT;
  url.pathname = '/';
  url.search = '';
  url.hash = '';
  return url.origin;
}

async function renewOrNotDue(
  state: AgentState,
  csr: string | undefined,
  env: AgentEnvironment,
  lines: string[],
): Promise<CertificateResponse | null> {
  try {
    return await server(env).requestRenewal(state.deviceCheckUrl, csr ? { csr } : {}, {
      certificateChainPem: joinPem([state.certificatePem, ...state.chainPem]),
      privateKeyPem: state.privateKeyPem,
      serverCaPem: state.serverCaPem,
    });
  } catch (error) {
    if (error instanceof AgentRequestError && error.code === RENEWAL_NOT_DUE_CODE) {
      lines.push('renewal not due (server)');
      return null;
    }
    throw error;
  }
}

async function install(
  state: AgentState,
  env: AgentEnvironment,
  lines: string[],
  previous: AgentState | null = null,
): Promise<AgentExitCode> {
  lines.push(`wrote key and certificates to ${await saveAgentState(env.stateDir, state)}`);
  await installCertificate(state, previous, env, lines);
  return AGENT_EXIT.ok;
}

/**
 * Removes the state first, then what was installed from it: on macOS the last step unloads the launch
 * agent, which ends this process when launchd runs it (distribution switched off during a renewal).
 */
async function uninstall(env: AgentEnvironment, lines: string[]): Promise<void> {
  const state = await loadAgentState(env.stateDir).catch(() => null);
  await removeAgentState(env.stateDir);
  lines.push(`removed the device key and certificates from ${env.stateDir}`);
  await uninstallCertificate(state, env, lines);
}

/**
 * `latchkey-agent passkey-link`: asks the device-check listener (mutual TLS with this device's
 * certificate) for a one-time link that registers a passkey bound to this device. The link proves the
 * device only: the person still signs in to their account page (password and second factor) to use it.
 */
export async function passkeyLink(env: AgentEnvironment): Promise<AgentReport> {
  const lines: string[] = [];
  return guarded(lines, async () => {
    const state = await enrolledState(env);
    const link = await (env.server?.requestPasskeyLink ?? requestPasskeyLink)(state.deviceCheckUrl, {
      certificateChainPem: joinPem([state.certificatePem, ...state.chainPem]),
      privateKeyPem: state.privateKeyPem,
      serverCaPem: state.serverCaPem,
    });
    lines.push(
      `Open this link in a browser on this device before ${link.expiresAt} (it works once):`,
      link.url,
      'You will sign in with your password and second factor, then create the passkey; it will be bound to this device.',
    );
    return AGENT_EXIT.ok;
  });
}

/** Runs a command body; maps server refusals and local LatchkeyErrors to exit codes and lines. */
async function guarded(lines: string[], body: () => Promise<AgentExitCode>): Promise<AgentReport> {
  try {
    return { exitCode: await body(), lines };
  } catch (error) {
    if (error instanceof AgentRequestError) {
      lines.push(error.message);
      return { exitCode: error.exitCode, lines };
    }
    if (error instanceof LatchkeyError) {
      lines.push(error.message);
      return { exitCode: AGENT_EXIT.localError, lines };
    }
    throw error;
  }
}

async function enrolledState(env: AgentEnvironment): Promise<AgentState> {
  const state = await loadAgentState(env.stateDir);
  if (!state)
    throw new LatchkeyError(
      'ERR_AGENT_NOT_ENROLLED',
      `not enrolled (no state in ${env.stateDir}): run latchkey-agent enroll`,
    );
  return state;
}

function server(env: AgentEnvironment): NonNullable<AgentEnvironment['server']> {
  return env.server ?? { requestEnrollment, requestRenewal };
}

/** Refuses a response whose certificate is not for our key (or, on renewal, not for our device). */
function checkIssued(response: CertificateResponse, privateKeyPem: string, deviceId?: string): void {
  const ours = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' });
  let certificate: x509.X509Certificate;
  try {
    certificate = parseCertificate(response.certificate);
    response.chain.forEach((pem) => parseCertificate(pem));
  } catch (cause) {
    throw new AgentRequestError(
      'unavailable',
      'ERR_AGENT_RESPONSE',
      'the server sent a certificate that does not parse',
      { cause },
    );
  }
  if (!Buffer.from(certificate.publicKey.rawData).equals(ours)) {
    throw new AgentRequestError('unavailable', 'ERR_AGENT_RESPONSE', 'the server sent a certificate for another key');
  }
  if (deviceId !== undefined && response.deviceId !== deviceId) {
    throw new AgentRequestError(
      'unavailable',
      'ERR_AGENT_RESPONSE',
      'the server renewed the certificate of another device',
    );
  }
}
