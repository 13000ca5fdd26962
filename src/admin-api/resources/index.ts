// Every admin API route, in the order of the OpenAPI document.
import type { ApiRoute } from '../route.js';
import { auditRoutes } from './audit.js';
import { clientRoutes } from './clients.js';
import type { ResourceDeps } from './deps.js';
import { deviceRoutes } from './devices.js';
import { pkiRoutes } from './pki.js';
import { policyRoutes } from './policies.js';
import { userRoutes } from './users.js';

export type { ResourceDeps } from './deps.js';

export function adminApiRoutes(deps: ResourceDeps): ApiRoute[] {
  return [
    ...userRoutes(deps),
    ...clientRoutes(deps),
    ...deviceRoutes(deps),
    ...policyRoutes(deps),
    ...pkiRoutes(deps),
    ...auditRoutes(deps),
  ];
}
