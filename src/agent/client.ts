// HTTP calls of the agent to Latchkey, with undici 7 (its own fetch plus a dispatcher carrying the client
// certificate for renewals over mTLS and, if given, an extra CA for the server's TLS certificate). Every
// failure becomes an AgentRequestError whose `outcome` maps to an exit code.
import { rootCertificates } from 'node:tls';
import { Agent, fetch } from 'undici';
import { LatchkeyError } from '../errors.js';
import { AGENT_EXIT, type AgentExitCode } from './exit-codes.js';
import type { DevicePosture } from './posture.js';

/** Error codes from the server that mean "certificate distribution is switched off". */
export const DISTRIBUTION_OFF_CODES = new Set(['ERR_DEVICE_DISTRIBUTION_OFF', 'distribution_off']);

const TIMEOUT_MS = 30_000;

/** Node's codes for a server certificate that does not chain to a trusted CA (self-signed, private CA). */
const UNTRUSTED_CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

export interface EnrollRequestBody {
  token: string;
  csr: string;
  posture: DevicePosture;
}

/** What /device/enroll and /device/renew answer with. */
export interface CertificateResponse {
  deviceId: string;
  /** PEM of the device certificate. */
  certificate: string;
  /** PEM of the intermediate(s) above it. */
  chain: string[];
  /** ISO timestamp. */
  notAfter: string;
  /** Device-check (mTLS) listener URL, if the server tells it (else the agent derives it). */
  deviceCheckUrl?: string;
}

export type RequestOutcome = 'refused' | 'distribution-off' | 'unavailable';

/** A request to Latchkey failed; `outcome` says whether to re-enroll, remove certificates or retry later. */
export class AgentRequestError extends LatchkeyError {
  readonly outcome: RequestOutcome;
  constructor(
    outcome: RequestOutcome,
    code: string,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(code, message, { status: options.status ?? 502, detail: { outcome }, cause: options.cause });
    this.outcome = outcome;
  }

  /** The agent exit code for this failure. */
  get exitCode(): AgentExitCode {
    if (this.outcome === 'refused') return AGENT_EXIT.refused;
    return this.outcome === 'distribution-off' ? AGENT_EXIT.distributionOff : AGENT_EXIT.unavailable;
  }
}

export interface TlsOptions {
  /** Extra CA certificates (PEM) trusted for the server's TLS certificate, e.g. a development CA. */
  serverCaPem?: string;
}

export interface MutualTlsOptions extends TlsOptions {
  /** Device certificate followed by its chain, PEM. */
  certificateChainPem: string;
  /** Device key, PKCS#8 PEM. */
  privateKeyPem: string;
}

/** POST /device/enroll on the main listener. */
export async function requestEnrollment(
  serverUrl: string,
  body: EnrollRequestBody,
  tls: TlsOptions = {},
): Promise<CertificateResponse> {
  return postJson(new URL('/device/enroll', serverUrl), body, new Agent({ connect: connectOptions(tls) }));
}

/** POST /device/renew on the device-check listener, authenticated by the current certificate (mTLS). */
export async function requestRenewal(
  deviceCheckUrl: string,
  body: { csr?: string },
  tls: MutualTlsOptions,
): Promise<CertificateResponse> {
  const dispatcher = mutualTlsAgent(tls);
  return postJson(new URL('/device/renew', deviceCheckUrl), body, dispatcher);
}

/** What POST /device/passkey-link answers: a one-time registration link for this device. */
export interface PasskeyLinkResponse {
  url: string;
  /** ISO timestamp. */
  expiresAt: string;
}

/** POST /device/passkey-link on the device-check listener, authenticated by the device certificate (mTLS). */
export async function requestPasskeyLink(deviceCheckUrl: string, tls: MutualTlsOptions): Promise<PasskeyLinkResponse> {
  const dispatcher = mutualTlsAgent(tls);
  return postJson(new URL('/device/passkey-link', deviceCheckUrl), {}, dispatcher, passkeyLinkResponse);
}

/** What GET /device/check answers: the device's standing as the server sees it. */
export interface DeviceCheckResponse {
  status: 'trusted' | 'managed' | 'unmanaged' | 'revoked' | 'invalid';
  reason: string;
  code?: string;
}

/** GET /device/check on the device-check listener, presenting the device certificate (mTLS). */
export async function requestDeviceCheck(deviceCheckUrl: string, tls: MutualTlsOptions): Promise<DeviceCheckResponse> {
  const dispatcher = mutualTlsAgent(tls);
  return sendJson(new URL('/device/check', deviceCheckUrl), null, dispatcher, deviceCheckResponse);
}

function deviceCheckResponse(payload: unknown): DeviceCheckResponse {
  const value = (payload ?? {}) as Partial<DeviceCheckResponse>;
  const statuses = ['trusted', 'managed', 'unmanaged', 'revoked', 'invalid'];
  if (typeof value.status !== 'string' || !statuses.includes(value.status) || typeof value.reason !== 'string') {
    throw new AgentRequestError('unavailable', 'ERR_AGENT_RESPONSE', 'the server sent an unexpected response');
  }
  return value as DeviceCheckResponse;
}

function passkeyLinkResponse(payload: unknown): PasskeyLinkResponse {
  const value = (payload ?? {}) as Partial<PasskeyLinkResponse>;
  if (typeof value.url !== 'string' || !value.url.startsWith('https://') || typeof value.expiresAt !== 'string') {
    throw new AgentRequestError('unavailable', 'ERR_AGENT_RESPONSE', 'the server sent an unexpected response');
  }
  return value as PasskeyLinkResponse;
}

/** A dispatcher presenting the device certificate (mutual TLS) to the device-check listener. */
function mutualTlsAgent(tls: MutualTlsOptions): Agent {
  return new Agent({ connect: { ...connectOptions(tls), cert: tls.certificateChainPem, key: tls.privateKeyPem } });
}

function connectOptions(tls: TlsOptions): { ca?: string[]; rejectUnauthorized: true } {
  // Node replaces its default roots when `ca` is set, so an extra CA is added to them, not swapped in.
  return tls.serverCaPem
    ? { ca: [...rootCertificates, tls.serverCaPem], rejectUnauthorized: true }
    : { rejectUnauthorized: true };
}

function postJson<T = CertificateResponse>(
  url: URL,
  body: unknown,
  dispatcher: Agent,
  parse: (payload: unknown) => T = certificateResponse as (payload: unknown) => T,
): Promise<T> {
  return sendJson(url, body ?? {}, dispatcher, parse);
}

/** POSTs `body` as JSON (GET when it is null) and parses the answer; closes the dispatcher. */
async function sendJson<T>(url: URL, body: unknown, dispatcher: Agent, parse: (payload: unknown) => T): Promise<T> {
  try {
    const response = await fetch(url, {
      method: body === null ? 'GET' : 'POST',
      headers:
        body === null
          ? { accept: 'application/json' }
          : { 'content-type': 'application/json', accept: 'application/json' },
      ...(body === null ? {} : { body: JSON.stringify(body) }),
      dispatcher,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    }).catch((cause: unknown) => {
      const reason = describe(cause);
      const untrusted = UNTRUSTED_CERTIFICATE_CODES.has(reason);
      throw new AgentRequestError(
        'unavailable',
        untrusted ? 'ERR_AGENT_TLS_UNTRUSTED' : 'ERR_AGENT_NETWORK',
        untrusted
          ? `cannot reach ${url.origin}: its TLS certificate is not trusted on this device (${reason}). If the ` +
              'server uses a development or private certificate, give that certificate (PEM) with --ca-file FILE ' +
              'when enrolling; the development one is data/dev-tls/cert.pem on the server'
          : reason === 'ERR_TLS_CERT_ALTNAME_INVALID'
            ? `cannot reach ${url.origin}: its TLS certificate is for another host name; use the URL the ` +
              'certificate names (the issuer, as latchkey devices enroll-token prints it)'
            : `cannot reach ${url.origin}: ${reason}`,
        { cause },
      );
    });
    const payload: unknown = await response.json().catch(() => null);
    if (!response.ok) throw failure(response.status, payload);
    return parse(payload);
  } finally {
    await dispatcher.close();
  }
}

function failure(status: number, payload: unknown): AgentRequestError {
  const fields = (payload ?? {}) as Record<string, unknown>;
  const code =
    typeof fields.code === 'string' ? fields.code : typeof fields.error === 'string' ? fields.error : `HTTP_${status}`;
  const text = [fields.message, fields.error_description].find((value): value is string => typeof value === 'string');
  const message = `the server answered ${status}${text ? `: ${text}` : ''}`;
  if (DISTRIBUTION_OFF_CODES.has(code)) return new AgentRequestError('distribution-off', code, message, { status });
  if (status === 429 || status >= 500) return new AgentRequestError('unavailable', code, message, { status });
  return new AgentRequestError('refused', code, message, { status });
}

function certificateResponse(payload: unknown): CertificateResponse {
  const value = (payload ?? {}) as Partial<CertificateResponse>;
  const valid =
    typeof value.deviceId === 'string' &&
    typeof value.certificate === 'string' &&
    typeof value.notAfter === 'string' &&
    Array.isArray(value.chain) &&
    value.chain.every((item) => typeof item === 'string') &&
    (value.deviceCheckUrl === undefined || typeof value.deviceCheckUrl === 'string');
  if (!valid)
    throw new AgentRequestError('unavailable', 'ERR_AGENT_RESPONSE', 'the server sent an unexpected response');
  return value as CertificateResponse;
}

function describe(cause: unknown): string {
  const error = cause as { message?: string; cause?: { code?: string; message?: string } };
  return error.cause?.code ?? error.cause?.message ?? error.message ?? String(cause);
}
