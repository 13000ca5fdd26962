// The administration services, one per resource, built over open stores. The CLI, the admin API and the
// console all call these (devices and certificates: the device-trust service), so the three never
// disagree on validation, side effects or the audit record; each passes its own AdminOrigin. They are
// built over open stores by server/admin-services.ts.
import type { AuditAdmin } from './audit.js';
import type { ClientAdmin } from './clients.js';
import type { GroupAdmin } from './groups.js';
import type { KeyAdmin } from './keys.js';
import type { PasskeyAdmin } from './passkeys.js';
import type { PolicyAdmin } from './policies.js';
import type { UserAdmin } from './users.js';

export type { AdminOrigin } from './context.js';

export interface AdminServices {
  users: UserAdmin;
  groups: GroupAdmin;
  clients: ClientAdmin;
  passkeys: PasskeyAdmin;
  policies: PolicyAdmin;
  audit: AuditAdmin;
  keys: KeyAdmin;
}
