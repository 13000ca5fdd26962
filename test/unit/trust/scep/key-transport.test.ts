// RSAES-PKCS1-v1_5 key transport with implicit rejection: a real content key comes back; anything that is
// not one (bad padding, wrong length, wrong size, garbage) gives a deterministic pseudo-random key of the
// expected length instead of an error, so nothing downstream can tell the two apart.
import { constants, createPublicKey, generateKeyPairSync, publicEncrypt, randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { decryptContentKey, encryptContentKey, rejectionSecret } from '../../../../src/trust/scep/key-transport.js';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKey = createPublicKey(privateKey);
const key = { privateKey, rejectionSecret: rejectionSecret(privateKey) };

describe('content-key transport (RSAES-PKCS1-v1_5, implicit rejection)', () => {
  it.each([16, 24, 32])('returns a %i-byte content key it was sent', (length) => {
    const contentKey = randomBytes(length);
    expect(Buffer.from(decryptContentKey(encryptContentKey(contentKey, publicKey), key, length))).toEqual(contentKey);
  });

  it('answers a key of another length than expected with a synthetic key of the expected length', () => {
    const sent = encryptContentKey(randomBytes(16), publicKey);
    const answer = decryptContentKey(sent, key, 32);
    expect(answer).toHaveLength(32);
    expect(decryptContentKey(sent, key, 32)).toEqual(answer);
  });

  it('answers bad padding with a synthetic key, the same for the same ciphertext, never an error', () => {
    // RSA without padding of a random block: decrypts to that block, which is no PKCS#1 v1.5 encoding.
    const block = randomBytes(256);
    block[0] = 0;
    const raw = publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, block);
    const first = decryptContentKey(raw, key, 32);
    expect(first).toHaveLength(32);
    expect(decryptContentKey(raw, key, 32)).toEqual(first);
    expect(Buffer.from(first)).not.toEqual(block.subarray(block.length - 32));
  });

  it('answers a ciphertext of the wrong size or out of range with a synthetic key', () => {
    expect(decryptContentKey(randomBytes(100), key, 16)).toHaveLength(16);
    expect(decryptContentKey(Buffer.alloc(256, 0xff), key, 16)).toHaveLength(16);
  });

  it('derives synthetic keys from a secret of the private key: another key gives other ones', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const garbage = randomBytes(256);
    garbage[0] = 0;
    const mine = decryptContentKey(garbage, key, 32);
    const theirs = decryptContentKey(garbage, { privateKey: other, rejectionSecret: rejectionSecret(other) }, 32);
    expect(Buffer.from(mine)).not.toEqual(Buffer.from(theirs));
    expect(rejectionSecret(privateKey)).toEqual(key.rejectionSecret);
  });
});
