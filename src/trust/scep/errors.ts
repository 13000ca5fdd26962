// The two ways a SCEP request fails. A message that cannot be read as a SCEP pkiMessage at all (not base64,
// not CMS, no signer, no transactionID...) is answered HTTP 400: there is nobody to address a CertRep to. A
// message that can be read but is refused becomes a CertRep FAILURE with a failInfo; ScepRefusalError
// carries that failInfo from wherever the refusal is decided to the code that builds the CertRep.
import { InvalidInputError, LatchkeyError } from '../../errors.js';
import type { FailInfo } from './protocol.js';

/** Stable codes for input that is not a readable SCEP pkiMessage (HTTP 400). */
export type ScepMessageErrorCode =
  'ERR_SCEP_MALFORMED' | 'ERR_SCEP_NOT_SIGNED' | 'ERR_SCEP_ATTRIBUTE' | 'ERR_SCEP_TOO_LARGE' | 'ERR_SCEP_OPERATION';

/** The request is not a SCEP pkiMessage Latchkey can answer with a CertRep. */
export class ScepMessageError extends InvalidInputError {
  declare readonly code: ScepMessageErrorCode;
  constructor(code: ScepMessageErrorCode, message: string, detail: Record<string, unknown> = {}) {
    super(code, message, detail);
  }
}

/** Stable codes of the protocol-level refusals decided in scep/ (the service adds its own). */
export type ScepRefusalCode =
  | 'ERR_SCEP_SIGNER_KEY'
  | 'ERR_SCEP_DIGEST_ALGORITHM'
  | 'ERR_SCEP_SIGNATURE'
  | 'ERR_SCEP_RECIPIENT'
  | 'ERR_SCEP_KEY_ENCRYPTION_ALGORITHM'
  | 'ERR_SCEP_CONTENT_ALGORITHM'
  | 'ERR_SCEP_ENVELOPE'
  | 'ERR_SCEP_DECRYPT';

/** A refusal as a value: its stable code, the failInfo the CertRep carries, and words for the failInfoText. */
export interface ScepRefusal {
  code: string;
  failInfo: FailInfo;
  message: string;
}

/** A readable request was refused: answered with CertRep FAILURE `failInfo`, never with an HTTP error. */
export class ScepRefusalError extends LatchkeyError {
  readonly failInfo: FailInfo;
  constructor(
    code: ScepRefusalCode | (string & {}),
    failInfo: FailInfo,
    message: string,
    detail: Record<string, unknown> = {},
  ) {
    super(code, message, { status: 400, detail });
    this.failInfo = failInfo;
  }

  static from(refusal: ScepRefusal, detail: Record<string, unknown> = {}): ScepRefusalError {
    return new ScepRefusalError(refusal.code, refusal.failInfo, refusal.message, detail);
  }
}
