// The scopes of the admin API (/admin/api/v1): what an admin client (client credentials) or a break-glass API
// token may do, one read and one manage scope per resource, manage including read. Defined with the bearer
// check in http/admin-auth.ts (the provider and that check need them, and they may not import admin/, which
// imports interactions/); the administration services read them from here.
export { ADMIN_API_SCOPES, grantsScope, isAdminApiScope, type AdminApiScope } from '../http/admin-auth.js';
