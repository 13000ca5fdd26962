// What the console is built from (the composition root passes it), and what each page handler receives:
// the signed-in administrator, the audit origin of their changes, the form token and the posted fields.
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { AdminOrigin, AdminServices } from '../admin/index.js';
import type { WhatIfOptions, WhatIfResult } from '../admin/what-if.js';
import type { CsrfTokens } from '../http/csrf.js';
import type { Logger } from '../log.js';
import type { PolicySet } from '../policies/index.js';
import type { DeviceCertificateRecord, InventoryTrustLevel } from '../store/device-trust.js';
import type { Page, PageRequest } from '../store/pages.js';
import type { ClientRepository } from '../store/clients.js';
import type { User, UserRepository } from '../store/users.js';
import type { CreatedEnrollmentToken, DeviceDetails, DeviceListing, Origin } from '../trust/service/index.js';
import type { ConsoleSessionProofs } from './session.js';
import type { CaSummary } from '../trust/service/ca-admin.js';
import type { ScepService } from '../trust/service/scep/index.js';
import type { Chrome } from './views/layout.js';

/** The device-trust operations the console uses (DeviceTrustService provides them). */
export interface ConsoleDevices {
  listDevices(filter?: { username?: string }): Promise<DeviceListing[]>;
  devicesPage(
    filter: { username?: string; trust?: InventoryTrustLevel },
    page: PageRequest,
  ): Promise<Page<DeviceListing>>;
  device(deviceId: string): Promise<DeviceDetails>;
  countByTrustLevel(): Promise<Record<InventoryTrustLevel, number>>;
  expiringCertificates(
    before: Date,
    limit: number,
  ): Promise<Array<DeviceCertificateRecord & { username: string | null }>>;
  revokeDevice(deviceId: string, options: { reason?: string } & Origin): Promise<number>;
  revokeCertificate(serial: string, options: { reason: string } & Origin): Promise<void>;
  createEnrollmentToken(username: string, options: { ttlSeconds?: number } & Origin): Promise<CreatedEnrollmentToken>;
  renewNow(deviceId: string, origin: Origin): Promise<Date>;
  distributionEnabled(): Promise<boolean>;
  setDistribution(on: boolean, origin: Origin): Promise<void>;
  showCa(): Promise<CaSummary | null>;
  rotateIntermediate(origin: Origin): Promise<CaSummary>;
}

/** SCEP for MDMs, as the keys page uses it (ScepService provides it). */
export type ConsoleScep = Pick<
  ScepService,
  'profiles' | 'staticChallengeSince' | 'rotateStaticChallenge' | 'clearStaticChallenge'
>;

/** A what-if over the policies in force, or over `draft` (app.ts's AdminWhatIf). */
export type ConsoleWhatIf = (options: WhatIfOptions, draft?: PolicySet) => Promise<WhatIfResult>;

export interface ConsoleDeps {
  /** The oidc-provider in use (looked up per request: it is rebuilt when signing keys change). */
  oidc: { readonly provider: Provider };
  issuer: string;
  /** config admin.group: only its members may use the console. */
  adminGroup: string;
  users: Pick<UserRepository, 'findById' | 'groupNames'>;
  clients: ClientRepository;
  admin: AdminServices;
  devices: ConsoleDevices;
  scep: ConsoleScep;
  whatIf: ConsoleWhatIf;
  /** What each browser session proved: the console re-checks its device on every request. */
  sessionProofs: ConsoleSessionProofs;
  csrf: CsrfTokens;
  log: Logger;
}

/** One console request after the administrator check (and, for a POST, the CSRF check). */
export interface ConsoleRequest {
  ctx: Context;
  admin: User;
  /** Who the changes are recorded as: admin:<username>, with address and user agent. */
  origin: AdminOrigin;
  /** The posted form fields (strings only; repeated fields keep their last value). */
  form: Record<string, string>;
  /** The page chrome for this administrator, with a notice or error to show. */
  chrome(extra?: { notice?: string; error?: string }): Chrome;
}

/** Renders a page into the response under the pages' strict CSP. */
export type Render = (request: ConsoleRequest, document: string, status?: number) => void;
