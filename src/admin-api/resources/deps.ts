// What the resource routes call: the administration services, the device-trust service and the what-if.
import type { AdminServices } from '../../admin/index.js';
import type { AdminWhatIf } from '../../admin/what-if.js';
import type { DeviceTrustService } from '../../trust/service/index.js';
import type { ScepService } from '../../trust/service/scep/index.js';

export interface ResourceDeps {
  admin: AdminServices;
  devices: Pick<
    DeviceTrustService,
    | 'devicesPage'
    | 'device'
    | 'certificatesPage'
    | 'revokeDevice'
    | 'revokeCertificate'
    | 'renewNow'
    | 'createEnrollmentToken'
    | 'distributionEnabled'
    | 'setDistribution'
    | 'showCa'
    | 'initCa'
    | 'rotateIntermediate'
  >;
  scep: Pick<
    ScepService,
    | 'showRa'
    | 'initRa'
    | 'profiles'
    | 'staticChallengeSince'
    | 'rotateStaticChallenge'
    | 'clearStaticChallenge'
    | 'createChallenge'
    | 'defaultProfile'
  >;
  /** The issuer and SCEP path, for the profile URLs. */
  scepUrl: (profile: string) => string;
  whatIf: AdminWhatIf;
}
