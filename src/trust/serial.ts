// Certificate serial numbers as Latchkey stores and compares them: lowercase hex of the positive DER
// integer, without a leading 00 sign octet. Fresh serials are 128 random bits with the top bit clear.
import { TrustParameterError } from './errors.js';

const HEX = /^[0-9a-f]+$/;

/** A fresh serial: 16 random octets, top bit clear (positive) and first octet non-zero, as 32 hex digits. */
export function randomSerial(): string {
  const octets = globalThis.crypto.getRandomValues(new Uint8Array(16));
  octets[0] = octets[0]! & 0x7f || 0x01;
  return Buffer.from(octets).toString('hex');
}

/**
 * Normalises a serial given in hex (any case, optional ":" separators or "0x", leading zeros) to the
 * stored form; throws TrustParameterError if it is not 1-20 octets of hex.
 */
export function normalizeSerial(serial: string): string {
  let hex = serial.trim().toLowerCase().replace(/^0x/, '').replace(/:/g, '');
  if (!HEX.test(hex)) throw new TrustParameterError('serial number is not hexadecimal', { serial });
  hex = hex.replace(/^0+(?=.)/, '');
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (hex.length > 40) throw new TrustParameterError('serial number is longer than 20 octets', { serial });
  if (/^0+$/.test(hex)) throw new TrustParameterError('serial number must be positive', { serial });
  return hex;
}
