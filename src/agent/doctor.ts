// `latchkey-agent doctor`: is everything in place for a sign-in to prove this device? Each check looks at
// one thing the device check needs — the enrollment, the certificate's validity, the certificate where each
// browser present looks, each browser's selection policy, the renewal job, and the server's own view of
// the certificate over mutual TLS — and says what to run when it is not right. Read-only.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseCertificate } from '../trust/certificate-input.js';
import { joinPem } from '../trust/pem.js';
import { DEFAULT_RENEWAL_FRACTION, renewalStatus, renewalWindow } from '../trust/renewal.js';
import { autoSelectCertificatePolicy, CHROME_POLICY_FILE } from './chrome-policy.js';
import { AgentRequestError, type DeviceCheckResponse, requestDeviceCheck } from './client.js';
import { homeOf } from './install.js';
import { findFirefoxProfiles, FIREFOX_POLICY_FILE, readFirefoxPolicies, selectsAutomatically } from './firefox.js';
import { certificateFacts } from './platforms/facts.js';
import { macosKeychainPath, macosLaunchAgentPath, macosProfilePath } from './platforms/macos.js';
import { systemExecutor } from './platforms/plan.js';
import { SYSTEMD_UNIT, systemdUnitDir } from './platforms/systemd.js';
import { WINDOWS_TASK, windowsPolicyKey } from './platforms/windows.js';
import { defaultNssDir, NSS_NICKNAME, nssCertificatePem } from './nss.js';
import { type AgentState, loadAgentState } from './state.js';
import type { AgentEnvironment } from './workflow.js';

export type Verdict = 'ok' | 'warn' | 'fix';

export interface Finding {
  verdict: Verdict;
  /** What was checked and what was found. */
  what: string;
  /** For warn and fix: the command or change that puts it right. */
  fix?: string;
}

export interface DoctorEnvironment extends AgentEnvironment {
  /** $XDG_CONFIG_HOME or ~/.config (where a user timer lives). */
  configHome: string;
  checkServer?: typeof requestDeviceCheck;
}

/** Every finding, in the order a person would fix them. */
export async function diagnose(env: DoctorEnvironment): Promise<Finding[]> {
  let state: AgentState | null;
  try {
    state = await loadAgentState(env.stateDir);
  } catch (error) {
    return [
      { verdict: 'fix', what: (error as Error).message, fix: 'latchkey-agent enroll --server URL --token TOKEN' },
    ];
  }
  if (!state) {
    return [
      {
        verdict: 'fix',
        what: `not enrolled (no state in ${env.stateDir})`,
        fix: 'ask your administrator for an enrollment token, then run latchkey-agent enroll --server URL --token TOKEN',
      },
    ];
  }
  const findings: Finding[] = [{ verdict: 'ok', what: `enrolled: device ${state.deviceId} at ${state.serverUrl}` }];
  findings.push(validity(state, env.now()));
  const platform = env.platform ?? 'linux';
  if (platform === 'linux') findings.push(...(await linuxFindings(state, env)));
  else findings.push(...(await storeFindings(state, env, platform)));
  findings.push(await serverFinding(state, env));
  return findings;
}

/** The findings as lines: "ok   …", "warn …  → fix", "FIX  …  → fix". */
export function renderFindings(findings: readonly Finding[]): string[] {
  const label: Record<Verdict, string> = { ok: 'ok  ', warn: 'warn', fix: 'FIX ' };
  return findings.map(
    (finding) => `${label[finding.verdict]} ${finding.what}${finding.fix ? `\n       → ${finding.fix}` : ''}`,
  );
}

/** The certificate's own dates, judged at `now`. */
export function validity(state: AgentState, now: Date): Finding {
  if (state.revoked) {
    return {
      verdict: 'fix',
      what: `the server refused this device as revoked on ${state.revoked.at} (${state.revoked.reason})`,
      fix: 'ask your administrator for a new enrollment token and enroll again',
    };
  }
  const certificate = parseCertificate(state.certificatePem);
  const status = renewalStatus(certificate.notBefore, certificate.notAfter, now, DEFAULT_RENEWAL_FRACTION);
  const until = certificate.notAfter.toISOString();
  if (status === 'expired') {
    return { verdict: 'fix', what: `the certificate expired at ${until}`, fix: 'enroll again with a new token' };
  }
  if (status === 'due') {
    return {
      verdict: 'warn',
      what: `the certificate is valid until ${until} and due for renewal`,
      fix: 'latchkey-agent renew',
    };
  }
  const opens = renewalWindow(certificate.notBefore, certificate.notAfter, DEFAULT_RENEWAL_FRACTION).opensAt;
  return { verdict: 'ok', what: `certificate valid until ${until}; renewal from ${opens.toISOString()}` };
}

async function linuxFindings(state: AgentState, env: DoctorEnvironment): Promise<Finding[]> {
  const findings: Finding[] = [];
  const reinstall = 'latchkey-agent install';
  if (env.nss) {
    const dir = env.nss.dir ?? defaultNssDir();
    findings.push(await nssFinding(state, dir, `the NSS database ${dir} (Chromium, Chrome, Edge)`, env, reinstall));
  }
  if (env.firefox) {
    for (const profile of await findFirefoxProfiles(env.firefox.profileRoots)) {
      findings.push(await nssFinding(state, profile, `the Firefox profile ${profile}`, env, reinstall));
    }
  }
  const issuer = certificateFacts(state).issuerCommonName;
  const expected = JSON.stringify(autoSelectCertificatePolicy(state.deviceCheckUrl, issuer));
  const asRoot = `sudo latchkey-agent --state-dir ${env.stateDir} policy`;
  for (const dir of env.chromePolicyDirs) {
    const file = path.join(dir, CHROME_POLICY_FILE);
    const text = await readFile(file, 'utf8').catch(() => null);
    const same = text !== null && sameJson(text, expected);
    findings.push(
      same
        ? {
            verdict: 'ok',
            what: `the auto-select policy ${file} names ${new URL(state.deviceCheckUrl).origin} and ${issuer}`,
          }
        : {
            verdict: 'fix',
            what: `the auto-select policy ${file} is ${text === null ? 'missing' : 'not the one for this certificate'}: the browser will ask which certificate`,
            fix: asRoot,
          },
    );
  }
  const firefoxPolicyDir = env.firefox ? env.firefox.policyDir : false;
  if (firefoxPolicyDir) {
    const policies = await readFirefoxPolicies(firefoxPolicyDir).catch(() => null);
    const file = path.join(firefoxPolicyDir, FIREFOX_POLICY_FILE);
    findings.push(
      policies && selectsAutomatically(policies)
        ? { verdict: 'ok', what: `Firefox selects the client certificate by itself (${file})` }
        : {
            verdict: 'fix',
            what: `${file} does not make Firefox select the client certificate: Firefox will ask`,
            fix: asRoot,
          },
    );
  }
  // Also the timer the documentation had users write by hand before install-timer existed.
  const timers = [false, true].flatMap((system) =>
    [SYSTEMD_UNIT, 'latchkey-renew'].map((unit) =>
      path.join(systemdUnitDir({ system, configHome: env.configHome }), `${unit}.timer`),
    ),
  );
  const timer = timers.find((file) => existsSync(file));
  findings.push(
    timer
      ? { verdict: 'ok', what: `renewal timer ${timer}` }
      : {
          verdict: 'warn',
          what: 'no renewal timer: the certificate expires unless renewed',
          fix: 'latchkey-agent install-timer',
        },
  );
  return findings;
}

async function nssFinding(
  state: AgentState,
  dir: string,
  where: string,
  env: DoctorEnvironment,
  fix: string,
): Promise<Finding> {
  let pem: string | null;
  try {
    pem = await nssCertificatePem(dir, NSS_NICKNAME, env.nss || {});
  } catch (error) {
    return {
      verdict: 'fix',
      what: `cannot read ${where}: ${(error as Error).message}`,
      fix: 'apt install libnss3-tools',
    };
  }
  if (pem === null) return { verdict: 'fix', what: `the device certificate is not in ${where}`, fix };
  const installed = parseCertificate(pem).serialNumber;
  const current = parseCertificate(state.certificatePem).serialNumber;
  return installed === current
    ? { verdict: 'ok', what: `the device certificate is in ${where}` }
    : { verdict: 'fix', what: `${where} holds an older certificate (serial ${installed}), not ${current}`, fix };
}

/** macOS and Windows: the certificate in the store and the Chrome/Edge rule, asked of the system's tools. */
async function storeFindings(
  state: AgentState,
  env: DoctorEnvironment,
  platform: 'macos' | 'windows',
): Promise<Finding[]> {
  const executor = env.executor ?? systemExecutor;
  const facts = certificateFacts(state);
  const fix = 'latchkey-agent install';
  const found = async (command: string, args: string[], needle: string) => {
    const result = await executor.run(command, args);
    return result.code === 0 && result.stdout.toUpperCase().includes(needle.toUpperCase());
  };
  const browserRule = (browser: string, ok: boolean): Finding =>
    ok
      ? { verdict: 'ok', what: `${browser}'s AutoSelectCertificateForUrls names the device-check origin` }
      : {
          verdict: 'warn',
          what: `${browser}'s AutoSelectCertificateForUrls does not name the device-check origin`,
          fix,
        };
  if (platform === 'macos') {
    const home = homeOf(env);
    const keychain = macosKeychainPath(home);
    // Without -v: a certificate from a private CA is not "valid" to security, yet it is the identity.
    const identity = await found('security', ['find-identity', keychain], facts.thumbprint);
    const rules = await Promise.all(
      ['com.google.Chrome', 'com.microsoft.Edge'].map(async (domain) => ({
        domain,
        ok: await found('defaults', ['read', domain, 'AutoSelectCertificateForUrls'], facts.deviceCheckOrigin),
      })),
    );
    const job = macosLaunchAgentPath(home);
    return [
      identity
        ? { verdict: 'ok', what: `the device identity is in ${keychain}` }
        : { verdict: 'fix', what: `the device identity is not in ${keychain}`, fix },
      ...rules.map(({ domain, ok }) =>
        ok
          ? browserRule(domain, true)
          : {
              ...browserRule(domain, false),
              fix: `install the profile ${macosProfilePath(home)} (or have the MDM deploy it)`,
            },
      ),
      existsSync(job)
        ? { verdict: 'ok', what: `renewal agent ${job}` }
        : { verdict: 'warn', what: 'no renewal agent: the certificate expires unless renewed', fix },
    ];
  }
  // certutil -store exits non-zero when the store has no certificate with that thumbprint.
  const stored = await found('certutil', ['-user', '-store', 'My', facts.thumbprint], '');
  const policies = await Promise.all(
    (['chrome', 'edge'] as const).map(async (browser) => ({
      browser,
      ok:
        (await found('reg', ['query', windowsPolicyKey(browser, false)], facts.deviceCheckOrigin)) ||
        (await found('reg', ['query', windowsPolicyKey(browser, true)], facts.deviceCheckOrigin)),
    })),
  );
  const task = (await executor.run('schtasks', ['/Query', '/TN', WINDOWS_TASK])).code === 0;
  return [
    stored
      ? { verdict: 'ok', what: 'the device certificate is in the Personal store' }
      : { verdict: 'fix', what: 'the device certificate is not in the Personal store', fix },
    ...policies.map(({ browser, ok }) => browserRule(browser, ok)),
    task
      ? { verdict: 'ok', what: `renewal task ${WINDOWS_TASK}` }
      : { verdict: 'warn', what: 'no renewal task: the certificate expires unless renewed', fix },
  ];
}

/** The server's view: GET /device/check presenting the certificate. */
async function serverFinding(state: AgentState, env: DoctorEnvironment): Promise<Finding> {
  let answer: DeviceCheckResponse;
  try {
    answer = await (env.checkServer ?? requestDeviceCheck)(state.deviceCheckUrl, {
      certificateChainPem: joinPem([state.certificatePem, ...state.chainPem]),
      privateKeyPem: state.privateKeyPem,
      serverCaPem: state.serverCaPem,
    });
  } catch (error) {
    const message = error instanceof AgentRequestError ? error.message : (error as Error).message;
    return {
      verdict: 'fix',
      what: `the server could not be asked: ${message}`,
      fix: 'check the network, then run doctor again',
    };
  }
  const origin = new URL(state.deviceCheckUrl).origin;
  if (answer.status === 'trusted' || answer.status === 'managed') {
    return { verdict: 'ok', what: `${origin} accepts this certificate: ${answer.status} (${answer.reason})` };
  }
  return {
    verdict: 'fix',
    what: `${origin} does not accept this certificate: ${answer.status} (${answer.reason})`,
    fix:
      answer.status === 'revoked' || answer.status === 'invalid'
        ? 'ask your administrator for a new enrollment token and enroll again'
        : 'ask your administrator: certificate distribution may be switched off',
  };
}

function sameJson(text: string, expected: string): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === expected;
  } catch {
    return false;
  }
}
