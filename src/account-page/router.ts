// /account: where people help themselves. It signs in through our own authorization endpoint (so the same
// policies, and the account-page rule, decide who gets in) and shows the account, the authenticator app,
// the devices enrolled to the person and their recent activity in words. Removing a device or changing
// the authenticator app needs a recent sign-in.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import QRCode from 'qrcode';
import type { Provider } from 'oidc-provider';
import type { SealedBox } from '../crypto/sealed-box.js';
import { checkTotp, newTotpSecret, TOTP_SECRET_PURPOSE, totpUri } from '../credentials/totp.js';
import type { CsrfTokens } from '../http/csrf.js';
import { setPageCsp } from '../http/security-headers.js';
import type { Logger } from '../log.js';
import type { AuditLog } from '../store/audit.js';
import type { ClientRepository } from '../store/clients.js';
import type { TicketStore } from '../store/tickets.js';
import type { User, UserRepository } from '../store/users.js';
import type { DeviceCertificateRecord } from '../store/device-trust.js';
import type { DeviceListing, Origin } from '../trust/service/index.js';
import { accountPage, reauthenticatePage, totpSetupPage, type AccountDevice } from '../views/account.js';
import { errorPage } from '../views/pages.js';
import { ACR_MFA } from '../oidc/acr.js';
import { describeActivity } from './activity.js';
import type { AccountPasskeys, AccountSessionAccess } from './passkeys.js';
import {
  clearSession,
  readSession,
  recentlyAuthenticated,
  redeemCode,
  safeEqual,
  startSignIn,
  takeFlow,
  writeSession,
  type AccountSession,
} from './session.js';

/** The device-trust operations the page needs (DeviceTrustService provides them). */
export interface AccountDevices {
  listDevices(filter: { username?: string }): Promise<DeviceListing[]>;
  listCertificates(filter: { username?: string }): Promise<DeviceCertificateRecord[]>;
  revokeDevice(deviceId: string, options: { reason?: string } & Origin): Promise<number>;
}

export interface AccountDeps {
  /** The oidc-provider in use (looked up per request: it is rebuilt when signing keys change). */
  oidc: { readonly provider: Provider };
  users: UserRepository;
  clients: Pick<ClientRepository, 'list'>;
  devices: AccountDevices;
  audit: AuditLog;
  box: Pick<SealedBox, 'seal' | 'openText'>;
  tickets: TicketStore;
  csrf: CsrfTokens;
  issuer: string;
  /** How recent a sign-in must be for changes that matter (security.reauthentication_seconds). */
  reauthenticationSeconds: number;
  /** The passkeys section and routes (passkeys.ts). */
  passkeys?: AccountPasskeys;
  log: Logger;
}

const TOTP_SETUP = 'account-totp';
const TOTP_SETUP_SECONDS = 600;

interface SignedIn {
  session: AccountSession;
  user: User;
}

export function accountRouter(deps: AccountDeps): Router {
  const router = new Router({ prefix: '/account' });
  const forms = bodyParser({ enableTypes: ['form'], formLimit: '4kb' });

  /** The signed-in person, or a redirect to sign in (returning to `returnTo`). */
  async function signedIn(ctx: Context, returnTo = '/account'): Promise<SignedIn | undefined> {
    const unverified = readSession(ctx);
    const user = unverified ? await deps.users.findById(unverified.sub) : undefined;
    const session = user ? readSession(ctx, user) : undefined;
    if (session && user) return { session, user };
    startSignIn(ctx, deps.issuer, { returnTo });
    return undefined;
  }

  /** signedIn() plus the CSRF check of a form post. */
  async function signedInPost(ctx: Context): Promise<SignedIn | undefined> {
    const current = await signedIn(ctx);
    if (!current) return undefined;
    const token = (ctx.request.body as Record<string, unknown> | undefined)?.csrf;
    if (!deps.csrf.verify(`account:${current.user.id}`, token)) {
      refuse(ctx, 'This form has expired. Open your account page again.', 403);
      return undefined;
    }
    return current;
  }

  // The passkey routes ask who is signed in (and the browser session that proved it), and send the browser
  // through a sign-in with a second factor when theirs is not fresh enough.
  const access: AccountSessionAccess = {
    async current(ctx) {
      const unverified = readSession(ctx);
      const user = unverified ? await deps.users.findById(unverified.sub) : undefined;
      const session = user ? readSession(ctx, user) : undefined;
      return session && user ? { user, sessionUid: session.sessionUid } : undefined;
    },
    signIn: (ctx, returnTo, fresh) =>
      startSignIn(ctx, deps.issuer, { returnTo, fresh, acrValues: fresh ? ACR_MFA : undefined }),
  };
  deps.passkeys?.routes(router, access);

  router.get('/', async (ctx) => {
    const current = await signedIn(ctx);
    if (current) await showAccount(ctx, deps, current.user);
  });

  router.get('/callback', async (ctx) => {
    const flow = takeFlow(ctx);
    const state = String(ctx.query.state ?? '');
    if (!flow || !safeEqual(flow.state, state))
      return refuse(ctx, 'This sign-in link has expired. Open your account page again.');
    if (ctx.query.error) return refuse(ctx, String(ctx.query.error_description ?? ctx.query.error));
    const signed = await redeemCode(deps.oidc.provider, deps.issuer, String(ctx.query.code ?? ''), flow.verifier);
    if (!signed) return refuse(ctx, 'This sign-in link has expired. Open your account page again.');
    writeSession(ctx, signed);
    ctx.redirect(flow.returnTo);
  });

  // A fresh sign-in (prompt=login), for changes that need one.
  router.get('/reauthenticate', (ctx) => startSignIn(ctx, deps.issuer, { fresh: true }));

  router.post('/devices/:id/remove', forms, async (ctx) => {
    const current = await signedInPost(ctx);
    if (!current) return;
    if (!recentlyAuthenticated(current.session, deps.reauthenticationSeconds))
      return askToSignInAgain(ctx, 'remove a device');
    const id = ctx.params.id ?? '';
    const owned = (await deps.devices.listDevices({ username: current.user.username })).find((d) => d.id === id);
    if (!owned) return refuse(ctx, 'No such device is enrolled to you.', 404);
    if (owned.status === 'active') {
      await deps.devices.revokeDevice(id, { reason: 'cessationOfOperation', actor: `user:${current.user.username}` });
    }
    await deps.audit.record({
      event: 'account.device.remove',
      outcome: 'success',
      userId: current.user.id,
      username: current.user.username,
      deviceId: id,
      ip: ctx.ip,
      userAgent: ctx.get('user-agent') || null,
    });
    await showAccount(ctx, deps, current.user, `The device ${owned.hostname ?? owned.id} was removed.`);
  });

  router.get('/totp', async (ctx) => {
    const current = await signedIn(ctx, '/account/totp');
    if (!current) return;
    if (!recentlyAuthenticated(current.session, deps.reauthenticationSeconds))
      return askToSignInAgain(ctx, 'set up an authenticator app');
    const secret = newTotpSecret();
    const reference = await deps.tickets.issue(
      TOTP_SETUP,
      { userId: current.user.id, secret: deps.box.seal(secret, TOTP_SECRET_PURPOSE) },
      TOTP_SETUP_SECONDS,
    );
    await showTotpSetup(ctx, deps, current.user, secret, reference);
  });

  router.post('/totp', forms, async (ctx) => {
    const current = await signedInPost(ctx);
    if (!current) return;
    if (!recentlyAuthenticated(current.session, deps.reauthenticationSeconds))
      return askToSignInAgain(ctx, 'set up an authenticator app');
    const body = ctx.request.body as Record<string, unknown>;
    const pending = await deps.tickets.redeem(TOTP_SETUP, body.reference);
    if (!pending || pending.userId !== current.user.id || typeof pending.secret !== 'string') {
      return refuse(ctx, 'This set-up has expired. Start again from your account page.');
    }
    const secret = deps.box.openText(pending.secret, TOTP_SECRET_PURPOSE);
    const check = checkTotp(secret, typeof body.otp === 'string' ? body.otp : '', Date.now(), null);
    if (!check.ok || check.step === undefined) {
      // The same secret is offered again (under a new reference): the person retypes the code.
      const reference = await deps.tickets.issue(TOTP_SETUP, pending, TOTP_SETUP_SECONDS);
      ctx.status = 400;
      return showTotpSetup(ctx, deps, current.user, secret, reference, 'That code is not right. Try the current one.');
    }
    await deps.users.setTotp(current.user.id, pending.secret);
    await deps.users.claimTotpStep(current.user.id, check.step);
    await deps.audit.record({
      event: 'account.totp.enroll',
      outcome: 'success',
      userId: current.user.id,
      username: current.user.username,
      ip: ctx.ip,
      userAgent: ctx.get('user-agent') || null,
    });
    const user = (await deps.users.findById(current.user.id))!;
    await showAccount(ctx, deps, user, 'Your authenticator app is set up: sign-ins now ask for a code from it.');
  });

  router.post('/logout', forms, async (ctx) => {
    const session = readSession(ctx);
    const token = (ctx.request.body as Record<string, unknown> | undefined)?.csrf;
    if (session && deps.csrf.verify(`account:${session.sub}`, token)) clearSession(ctx);
    ctx.status = 303;
    ctx.redirect('/session/end');
  });

  return router;
}

async function showAccount(ctx: Context, deps: AccountDeps, user: User, notice?: string): Promise<void> {
  const [events, groups, devices, certificates, clients] = await Promise.all([
    deps.audit.search({ userId: user.id, limit: 30 }),
    deps.users.groupNames(user.id),
    deps.devices.listDevices({ username: user.username }),
    deps.devices.listCertificates({ username: user.username }),
    deps.clients.list(),
  ]);
  const names = new Map(clients.map((client) => [client.clientId, client.name]));
  const csrf = deps.csrf.issue(`account:${user.id}`);
  // The passkey routes come back here with ?notice=<what was done>.
  const queryNotice = typeof ctx.query.notice === 'string' ? ctx.query.notice : undefined;
  setPageCsp(ctx);
  ctx.type = 'html';
  ctx.body = accountPage({
    user,
    groups,
    devices: devices.map((device) => accountDevice(device, certificates)),
    activity: describeActivity(events, (id) => names.get(id) ?? id).slice(0, 10),
    csrf,
    notice,
    sections: deps.passkeys ? [await deps.passkeys.section(user, csrf, queryNotice)] : [],
  });
}

function accountDevice(device: DeviceListing, certificates: readonly DeviceCertificateRecord[]): AccountDevice {
  const current = certificates
    .filter((c) => c.deviceId === device.id && c.revokedAt === null)
    .sort((a, b) => b.notAfter - a.notAfter)[0];
  return {
    id: device.id,
    name: device.hostname ?? `${device.platform} device`,
    platform: [device.platform, device.osVersion].filter(Boolean).join(' '),
    enrolledAt: device.enrolledAt,
    lastSeenAt: device.lastSeenAt,
    certificateExpires: current && device.status === 'active' ? current.notAfter : null,
    status: device.status,
  };
}

async function showTotpSetup(
  ctx: Context,
  deps: AccountDeps,
  user: User,
  secret: string,
  reference: string,
  error?: string,
): Promise<void> {
  const qrSvg = await QRCode.toString(totpUri(secret, user.username, new URL(deps.issuer).host), {
    type: 'svg',
    margin: 1,
    errorCorrectionLevel: 'M',
  });
  setPageCsp(ctx);
  ctx.type = 'html';
  ctx.body = totpSetupPage({
    username: user.username,
    qrSvg,
    secret,
    reference,
    csrf: deps.csrf.issue(`account:${user.id}`),
    error,
  });
}

function askToSignInAgain(ctx: Context, what: string): void {
  setPageCsp(ctx);
  ctx.type = 'html';
  ctx.body = reauthenticatePage(what);
}

function refuse(ctx: Context, message: string, status = 400): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = errorPage('Account page unavailable', message);
}
