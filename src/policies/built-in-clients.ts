// The clients Latchkey registers for its own pages at start: the account page and the admin console. They
// are first-party, have their own built-in rules, exist without a policy naming them, and no administrator
// removes or re-keys them.
import { ACCOUNT_CLIENT_ID } from './account-page.js';
import { CONSOLE_CLIENT_ID } from './console.js';

/** Whether `clientId` is one of Latchkey's own clients. */
export function isBuiltInClient(clientId: string): boolean {
  return clientId === ACCOUNT_CLIENT_ID || clientId === CONSOLE_CLIENT_ID;
}
