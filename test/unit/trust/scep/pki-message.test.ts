// Reading and verifying pkiMessages: what a requester builds parses back field by field and verifies; what
// is not a pkiMessage is a ScepMessageError (HTTP 400) naming the problem; a signer or digest SCEP cannot
// use, or a signature that does not verify, is a refusal with its failInfo. OpenSSL verifies what we sign.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as asn1js from 'asn1js';
import { octets, printable } from '../../../../src/trust/scep/attributes.js';
import { certsOnly } from '../../../../src/trust/scep/certs-only.js';
import { ScepMessageError, ScepRefusalError } from '../../../../src/trust/scep/errors.js';
import { parsePkiMessage } from '../../../../src/trust/scep/pki-message.js';
import { SCEP_ATTRIBUTE } from '../../../../src/trust/scep/protocol.js';
import { buildPkiRequest, certificateRequest, type PkiRequest } from '../../../../src/trust/scep/requester.js';
import { signPkiMessage } from '../../../../src/trust/scep/sign.js';
import { verifyPkiSignature } from '../../../../src/trust/scep/signature.js';
import { openssl, writeFiles } from '../fixtures.js';
import { makeRa, makeRequester, type TestRa, type TestRequester } from './fixtures.js';

const LIMITS = { minRsaBits: 2048, maxRsaBits: 8192 };

function messageError(parse: () => unknown): { code: string; message: string } {
  try {
    parse();
  } catch (error) {
    if (error instanceof ScepMessageError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a ScepMessageError');
}

async function refusal(verify: () => Promise<unknown>): Promise<{ code: string; failInfo: string }> {
  try {
    await verify();
  } catch (error) {
    if (error instanceof ScepRefusalError) return { code: error.code, failInfo: error.failInfo };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('pkiMessage', () => {
  let ra: TestRa;
  let requester: TestRequester;
  let request: PkiRequest;
  const signer = () => ({ certificate: requester.certificate, privateKey: requester.key.keys.privateKey });

  beforeAll(async () => {
    ra = await makeRa();
    requester = await makeRequester();
    const csr = await certificateRequest({ keys: requester.key.keys, subject: 'CN=device', challenge: 'c' });
    request = await buildPkiRequest({
      messageType: 'PKCSReq',
      csr,
      signer: signer(),
      recipient: ra.certificate,
      transactionId: 'tx-1',
      now: new Date('2031-01-02T03:04:05Z'),
    });
  });

  it('parses what a requester builds: type, transactionID, nonce, signingTime, signer, content', async () => {
    const message = parsePkiMessage(request.der);
    expect(message).toMatchObject({
      messageType: '19',
      transactionId: 'tx-1',
      senderNonce: request.senderNonce,
      recipientNonce: undefined,
      pkiStatus: undefined,
      signingTime: new Date('2031-01-02T03:04:05Z'),
      digestAlgorithm: '2.16.840.1.101.3.4.2.1',
    });
    expect(message.signer.equal(requester.certificate)).toBe(true);
    expect(message.content!.length).toBeGreaterThan(256);
    await expect(verifyPkiSignature(message, LIMITS)).resolves.toBeUndefined();
  });

  it('is verified by OpenSSL (cms -verify) with the signer certificate it carries', () => {
    const files = writeFiles({ 'message.der': request.der });
    const verified = openssl([
      'cms',
      '-verify',
      '-noverify',
      '-inform',
      'DER',
      '-in',
      files['message.der']!,
      '-out',
      '/dev/null',
    ]);
    expect(verified).toEqual({ status: 0, output: 'CMS Verification successful\n' });
  });

  it.each([
    ['empty input', new Uint8Array(0), 'ERR_SCEP_MALFORMED', /empty/],
    ['garbage', new Uint8Array([0xde, 0xad, 0xbe, 0xef]), 'ERR_SCEP_MALFORMED', /not DER|truncated/],
    [
      'a SEQUENCE that is no ContentInfo',
      new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]),
      'ERR_SCEP_MALFORMED',
      /ContentInfo/,
    ],
  ])('refuses %s', (_name, der, code, message) => {
    const problem = messageError(() => parsePkiMessage(der));
    expect(problem.code).toBe(code);
    expect(problem.message).toMatch(message);
  });

  it('refuses a truncated message and one with bytes after its end', () => {
    expect(messageError(() => parsePkiMessage(request.der.subarray(0, request.der.length - 1)))).toMatchObject({
      code: 'ERR_SCEP_MALFORMED',
      message: expect.stringMatching(/truncated/),
    });
    const trailing = new Uint8Array([...request.der, 0]);
    expect(messageError(() => parsePkiMessage(trailing))).toEqual({
      code: 'ERR_SCEP_MALFORMED',
      message: 'the pkiMessage has 1 bytes after its end',
    });
  });

  it('refuses a certs-only message (no signer) and an EnvelopedData where SignedData belongs', () => {
    expect(messageError(() => parsePkiMessage(certsOnly([ra.certificate])))).toEqual({
      code: 'ERR_SCEP_NOT_SIGNED',
      message: 'the pkiMessage has 0 signers, expected exactly one',
    });
    const envelope = parsePkiMessage(request.der).content!;
    expect(messageError(() => parsePkiMessage(envelope))).toEqual({
      code: 'ERR_SCEP_NOT_SIGNED',
      message: 'the pkiMessage is CMS EnvelopedData, expected SignedData',
    });
  });

  it.each([
    [
      'no messageType',
      [printable(SCEP_ATTRIBUTE.transactionId, 't'), octets(SCEP_ATTRIBUTE.senderNonce, randomBytes(16))],
      /no messageType/,
    ],
    [
      'no transactionID',
      [printable(SCEP_ATTRIBUTE.messageType, '19'), octets(SCEP_ATTRIBUTE.senderNonce, randomBytes(16))],
      /no transactionID/,
    ],
    [
      'no senderNonce',
      [printable(SCEP_ATTRIBUTE.messageType, '19'), printable(SCEP_ATTRIBUTE.transactionId, 't')],
      /no senderNonce/,
    ],
    [
      'a short senderNonce',
      [
        printable(SCEP_ATTRIBUTE.messageType, '19'),
        printable(SCEP_ATTRIBUTE.transactionId, 't'),
        octets(SCEP_ATTRIBUTE.senderNonce, randomBytes(4)),
      ],
      /senderNonce must be 8 to 64 bytes, not 4/,
    ],
    [
      'a non-numeric messageType',
      [
        printable(SCEP_ATTRIBUTE.messageType, 'PKCSReq'),
        printable(SCEP_ATTRIBUTE.transactionId, 't'),
        octets(SCEP_ATTRIBUTE.senderNonce, randomBytes(16)),
      ],
      /decimal/,
    ],
  ])('refuses a message with %s (ERR_SCEP_ATTRIBUTE)', async (_name, attributes, message) => {
    const der = await signPkiMessage({ signer: signer(), content: new Uint8Array([1]), attributes, now: new Date() });
    expect(messageError(() => parsePkiMessage(der))).toMatchObject({
      code: 'ERR_SCEP_ATTRIBUTE',
      message: expect.stringMatching(message),
    });
  });

  it('refuses a transactionID of the wrong ASN.1 type', async () => {
    const attributes = [
      printable(SCEP_ATTRIBUTE.messageType, '19'),
      octets(SCEP_ATTRIBUTE.transactionId, new Uint8Array([1, 2])),
      octets(SCEP_ATTRIBUTE.senderNonce, randomBytes(16)),
    ];
    const der = await signPkiMessage({ signer: signer(), content: new Uint8Array([1]), attributes, now: new Date() });
    expect(messageError(() => parsePkiMessage(der))).toEqual({
      code: 'ERR_SCEP_ATTRIBUTE',
      message: 'transactionID must be a PrintableString',
    });
  });

  it('refuses an RSA-1024 signer and a SHA-1 digest (badAlg)', async () => {
    const weak = await makeRequester(1024);
    const weakRequest = await buildPkiRequest({
      messageType: 'PKCSReq',
      envelope: new Uint8Array([0x30, 0x00]),
      signer: { certificate: weak.certificate, privateKey: weak.key.keys.privateKey },
      now: new Date(),
    });
    expect(await refusal(() => verifyPkiSignature(parsePkiMessage(weakRequest.der), LIMITS))).toEqual({
      code: 'ERR_SCEP_SIGNER_KEY',
      failInfo: 'badAlg',
    });
    const sha1 = await buildPkiRequest({
      messageType: 'PKCSReq',
      envelope: new Uint8Array([0x30, 0x00]),
      signer: signer(),
      hash: 'SHA-1',
      now: new Date(),
    });
    expect(await refusal(() => verifyPkiSignature(parsePkiMessage(sha1.der), LIMITS))).toEqual({
      code: 'ERR_SCEP_DIGEST_ALGORITHM',
      failInfo: 'badAlg',
    });
  });

  it('refuses a signature over other attributes than it carries (badMessageCheck)', async () => {
    const message = parsePkiMessage(request.der);
    const attributes = message.signedData.signerInfos[0]!.signedAttrs!.attributes;
    const transaction = attributes.find((attribute) => attribute.type === SCEP_ATTRIBUTE.transactionId)!;
    transaction.values = [new asn1js.PrintableString({ value: 'tx-2' })];
    message.signedData.signerInfos[0]!.signedAttrs!.encodedValue = new ArrayBuffer(0);
    const reencoded = message.signedData.signerInfos[0]!.signedAttrs!.toSchema().toBER();
    const view = new Uint8Array(reencoded);
    view[0] = 0x31;
    message.signedData.signerInfos[0]!.signedAttrs!.encodedValue = reencoded;
    expect(await refusal(() => verifyPkiSignature(message, LIMITS))).toEqual({
      code: 'ERR_SCEP_SIGNATURE',
      failInfo: 'badMessageCheck',
    });
  });
});
