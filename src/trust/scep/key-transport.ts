// RSAES-PKCS1-v1_5 key transport, the only one SCEP clients use (iOS, macOS, Windows, certmonger), with
// implicit rejection. Node refuses PKCS#1 v1.5 private decryption unless OpenSSL does implicit rejection
// itself (OpenSSL 3.2+; Node 20 and 22 bundle 3.0), because a server that answers differently for bad
// padding is a Bleichenbacher/Marvin oracle. So the raw RSA operation is done by OpenSSL (RSA_NO_PADDING,
// constant time) and the padding is checked here without branches: a ciphertext whose padding is wrong,
// or whose message is not exactly the expected key length, yields a key derived from the ciphertext and a
// secret instead, and decryption proceeds and fails exactly as it would with a wrong key. The caller can
// therefore never tell bad padding from a bad content key.
import { constants, createHmac, type KeyObject, privateDecrypt, publicEncrypt } from 'node:crypto';

/** The RSA private key of a recipient and its implicit-rejection secret. */
export interface KeyTransportKey {
  privateKey: KeyObject;
  /** Secret for synthetic keys; derive it with `rejectionSecret`. */
  rejectionSecret: Uint8Array;
}

/** The implicit-rejection secret of an RSA private key (deterministic: the same ciphertext, the same key). */
export function rejectionSecret(privateKey: KeyObject): Uint8Array {
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  return new Uint8Array(createHmac('sha256', 'latchkey scep implicit rejection v1').update(der).digest());
}

/**
 * The content-encryption key in `encryptedKey`, which must be `keyLength` bytes (16, 24 or 32); a
 * pseudo-random key of that length when the ciphertext does not decrypt to one (see the module comment).
 */
export function decryptContentKey(encryptedKey: Uint8Array, key: KeyTransportKey, keyLength: number): Uint8Array {
  const synthetic = createHmac('sha256', key.rejectionSecret).update(encryptedKey).digest().subarray(0, keyLength);
  const modulusBytes = Math.ceil((key.privateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  // Length and range are public properties of the ciphertext: refusing them early reveals nothing.
  if (encryptedKey.length !== modulusBytes || keyLength > synthetic.length) return new Uint8Array(synthetic);
  let encoded: Buffer;
  try {
    encoded = privateDecrypt({ key: key.privateKey, padding: constants.RSA_NO_PADDING }, encryptedKey);
  } catch {
    return new Uint8Array(synthetic);
  }
  return select(paddingIsValid(encoded, keyLength), encoded.subarray(encoded.length - keyLength), synthetic);
}

/** Encrypts `contentKey` to `publicKey` with RSAES-PKCS1-v1_5 (what SCEP clients decrypt). */
export function encryptContentKey(contentKey: Uint8Array, publicKey: KeyObject): Uint8Array {
  return new Uint8Array(publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, contentKey));
}

/** 1 if `byte` is 0, else 0, without a branch. */
const isZero = (byte: number): number => ((byte - 1) >>> 8) & 1;

/**
 * 1 when `encoded` is 0x00 0x02 PS 0x00 M with PS at least 8 non-zero bytes and M exactly `messageLength`
 * bytes, else 0. Every byte is looked at whatever the outcome.
 */
function paddingIsValid(encoded: Uint8Array, messageLength: number): number {
  const separator = encoded.length - messageLength - 1;
  let bad = encoded[0]! | (encoded[1]! ^ 0x02);
  for (let i = 2; i < separator; i++) bad |= isZero(encoded[i]!);
  bad |= encoded[separator]!;
  // separator >= 10 always holds for moduli of 2048 bits and more and keys of at most 32 bytes.
  bad |= separator < 10 ? 1 : 0;
  return isZero(bad); // `bad` is an OR of bytes and bits: 0..255
}

/** `valid ? message : synthetic`, byte by byte with masks. */
function select(valid: number, message: Uint8Array, synthetic: Uint8Array): Uint8Array {
  const mask = -valid & 0xff;
  const out = new Uint8Array(synthetic.length);
  for (let i = 0; i < out.length; i++) out[i] = (message[i]! & mask) | (synthetic[i]! & ~mask & 0xff);
  return out;
}
