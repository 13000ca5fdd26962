// Password-protected PKCS#12 (PFX) of the device key and certificate chain, built with pkijs: the key in a
// PKCS#8 shrouded bag and the certificates in an encrypted safe, both PBES2 (PBKDF2-HMAC-SHA256 +
// AES-256-CBC), and an HMAC-SHA256 integrity MAC. pk12util (NSS) imports it; export-p12 writes it out.
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { InvalidInputError } from '../errors.js';
import { toArrayBuffer } from '../trust/pem.js';
import { x509 } from '../trust/x509.js';

const SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2';
const CERT_BAG = '1.2.840.113549.1.12.10.1.3';
const FRIENDLY_NAME = '1.2.840.113549.1.9.20';
const LOCAL_KEY_ID = '1.2.840.113549.1.9.21';
const DEFAULT_ITERATIONS = 100_000;

export interface Pkcs12Input {
  /** PKCS#8 PEM of the device key. */
  privateKeyPem: string;
  /** PEM of the device certificate. */
  certificatePem: string;
  /** PEM certificates above the leaf (intermediate, optionally root). */
  chainPem?: readonly string[];
  /** Protects the key, the certificates and the integrity MAC. */
  password: string;
  /** Name of the key and leaf (NSS uses it as the nickname; keychains show it). */
  friendlyName: string;
  /** Names for the chain certificates, in order; default: each certificate's subject CN. */
  chainFriendlyNames?: readonly string[];
  /** PBKDF2 and MAC iterations (default 100000). */
  iterations?: number;
}

/** Builds a DER PKCS#12 holding the key, the leaf (same localKeyID) and the chain. */
export async function buildPkcs12(input: Pkcs12Input): Promise<Uint8Array> {
  if (input.password.length === 0) throw new InvalidInputError('ERR_PKCS12_PASSWORD', 'a PKCS#12 password is required');
  const password = toArrayBuffer(new TextEncoder().encode(input.password));
  const encryption = {
    password,
    // pkijs draws a fresh random IV and salt for every encryption; its type merely lacks an optional `iv`.
    contentEncryptionAlgorithm: { name: 'AES-CBC', length: 256 } as pkijs.ContentEncryptionAesCbcParams,
    hmacHashAlgorithm: 'SHA-256',
    iterationCount: input.iterations ?? DEFAULT_ITERATIONS,
  };
  const leafDer = singleBlock(input.certificatePem, 'CERTIFICATE');
  const localKeyId = await globalThis.crypto.subtle.digest('SHA-1', leafDer);

  const keyBag = new pkijs.PKCS8ShroudedKeyBag({
    parsedValue: pkijs.PrivateKeyInfo.fromBER(singleBlock(input.privateKeyPem, 'PRIVATE KEY')),
  });
  await keyBag.makeInternalValues(encryption);

  const chain = (input.chainPem ?? []).map((pem) => singleBlock(pem, 'CERTIFICATE'));
  const certificateBags = [
    certificateBag(leafDer, input.friendlyName, localKeyId),
    ...chain.map((der, index) => certificateBag(der, input.chainFriendlyNames?.[index] ?? commonName(der))),
  ];
  const authenticatedSafe = new pkijs.AuthenticatedSafe({
    parsedValue: {
      safeContents: [
        {
          privacyMode: 0,
          value: new pkijs.SafeContents({
            safeBags: [safeBag(SHROUDED_KEY_BAG, keyBag, input.friendlyName, localKeyId)],
          }),
        },
        { privacyMode: 1, value: new pkijs.SafeContents({ safeBags: certificateBags }) },
      ],
    },
  });
  await authenticatedSafe.makeInternalValues({ safeContents: [{}, encryption] });

  const pfx = new pkijs.PFX({ parsedValue: { integrityMode: 0, authenticatedSafe } });
  await pfx.makeInternalValues({
    password,
    iterations: encryption.iterationCount,
    pbkdf2HashAlgorithm: 'SHA-256',
    hmacHashAlgorithm: 'SHA-256',
  });
  return new Uint8Array(pfx.toSchema().toBER(false));
}

/** A random password for a PKCS#12 that only lives for one pk12util import (URL-safe, 192 bits). */
export function randomPkcs12Password(): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(24))).toString('base64url');
}

function certificateBag(der: ArrayBuffer, friendlyName: string, localKeyId?: ArrayBuffer): pkijs.SafeBag {
  const bag = new pkijs.CertBag({ parsedValue: pkijs.Certificate.fromBER(der) });
  return safeBag(CERT_BAG, bag, friendlyName, localKeyId);
}

function safeBag(
  bagId: string,
  bagValue: pkijs.BagType,
  friendlyName: string,
  localKeyId?: ArrayBuffer,
): pkijs.SafeBag {
  const bagAttributes = [
    new pkijs.Attribute({ type: FRIENDLY_NAME, values: [new asn1js.BmpString({ value: friendlyName })] }),
  ];
  if (localKeyId) {
    bagAttributes.push(
      new pkijs.Attribute({ type: LOCAL_KEY_ID, values: [new asn1js.OctetString({ valueHex: localKeyId })] }),
    );
  }
  return new pkijs.SafeBag({ bagId, bagValue, bagAttributes });
}

function singleBlock(pem: string, label: string): ArrayBuffer {
  const blocks = x509.PemConverter.decodeWithHeaders(pem);
  if (blocks.length !== 1 || blocks[0]!.type !== label) {
    throw new InvalidInputError('ERR_PKCS12_INPUT', `expected exactly one PEM ${label} block`);
  }
  return blocks[0]!.rawData;
}

function commonName(der: ArrayBuffer): string {
  const certificate = new x509.X509Certificate(der);
  return certificate.subjectName.getField('CN')[0] ?? certificate.subject;
}
