// The sender nonce of an issued SCEP transaction is recorded in the transaction that issues: a copy of the
// same request (replayed by anyone who captured it) is refused, and a refused request records nothing.
import type { Knex } from 'knex';
import type { PkiMessage } from '../../scep/pki-message.js';
import type { ScepContext } from './context.js';
import { refuse, REFUSALS } from './refusals.js';

/** Inside `trx`: records `message`'s nonce for the certificate `serial` of `deviceId`; ERR_SCEP_REPLAY if seen. */
export async function claimNonce(
  ctx: ScepContext,
  trx: Knex.Transaction,
  message: PkiMessage,
  issued: { profile: string; serial: string; deviceId: string; now: Date },
): Promise<void> {
  const claimed = await ctx.store.claimNonce(
    {
      senderNonce: message.senderNonce,
      transactionId: message.transactionId,
      profile: issued.profile,
      messageType: message.messageType,
      serial: issued.serial,
      deviceId: issued.deviceId,
      createdAt: issued.now.getTime(),
    },
    trx,
  );
  if (!claimed) refuse(REFUSALS.replay);
}
