// Authenticated encryption of secrets at rest (AES-256-GCM, key derived from the master key per purpose
// with HKDF). The purpose is bound as associated data, so a sealed signing key cannot be opened as a
// client secret.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { UnavailableError } from '../errors.js';

const VERSION = 'v1';

export class SealedBox {
  readonly #key: Buffer;

  constructor(masterKey: Buffer) {
    this.#key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'latchkey sealed-box v1', 32));
  }

  /** Encrypts `plaintext` for `purpose`; returns "v1.<iv>.<ciphertext>.<tag>" in base64url. */
  seal(plaintext: string | Buffer, purpose: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(purpose));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return [VERSION, iv, body, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** Decrypts a value sealed for `purpose`; fails closed if the key or purpose is wrong. */
  open(sealed: string, purpose: string): Buffer {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== VERSION || !iv || body === undefined || !tag) {
      throw new UnavailableError('ERR_SEALED_FORMAT', 'a stored secret has an unknown format');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(purpose));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
    } catch (cause) {
      throw new UnavailableError(
        'ERR_MASTER_KEY_MISMATCH',
        'a stored secret cannot be decrypted: LATCHKEY_MASTER_KEY differs from the key it was sealed with',
        { cause, detail: { purpose } },
      );
    }
  }

  openText(sealed: string, purpose: string): string {
    return this.open(sealed, purpose).toString('utf8');
  }
}
