// The CertRep: signed by the RA, answering the request's transactionID and senderNonce with a fresh nonce of
// its own; SUCCESS carries the certificates in an envelope only the requester opens; FAILURE carries the
// failInfo and a bounded failInfoText, and empty content that OpenSSL can verify.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { buildCertRep } from '../../../../src/trust/scep/cert-rep.js';
import { parsePkiMessage } from '../../../../src/trust/scep/pki-message.js';
import {
  buildPkiRequest,
  certificateRequest,
  type PkiRequest,
  readCertRep,
} from '../../../../src/trust/scep/requester.js';
import { openssl, writeFiles } from '../fixtures.js';
import { makeRa, makeRequester, type TestRa, type TestRequester } from './fixtures.js';

describe('CertRep', () => {
  let ra: TestRa;
  let requester: TestRequester;
  let request: PkiRequest;
  const raSigner = () => ({ certificate: ra.certificate, privateKey: ra.signingKey });
  const expected = () => ({
    request,
    requester: { certificate: requester.certificate, privateKeyPem: requester.key.privateKeyPem },
    ra: ra.certificate,
  });

  beforeAll(async () => {
    ra = await makeRa();
    requester = await makeRequester();
    const csr = await certificateRequest({ keys: requester.key.keys, subject: 'CN=d' });
    request = await buildPkiRequest({
      messageType: 'PKCSReq',
      csr,
      signer: { certificate: requester.certificate, privateKey: requester.key.keys.privateKey },
      recipient: ra.certificate,
      now: new Date(),
    });
  });

  it('answers SUCCESS with the certificates encrypted to the requester, echoing transactionID and nonce', async () => {
    const certificates = [ra.testCa.intermediate.certificate, ra.testCa.root.certificate];
    const der = await buildCertRep({
      ra: raSigner(),
      chain: [ra.testCa.intermediate.certificate],
      request,
      outcome: { status: 'SUCCESS', certificates, recipient: requester.certificate, algorithm: 'aes-128-cbc' },
      now: new Date(),
    });
    const read = await readCertRep(der, expected());
    expect(read.status).toBe('SUCCESS');
    expect(read.certificates!.map((c) => c.subject)).toEqual(certificates.map((c) => c.subject));
    const message = parsePkiMessage(der);
    expect(message.messageType).toBe('3');
    expect(Buffer.from(message.senderNonce)).not.toEqual(Buffer.from(request.senderNonce));
    const stranger = await makeRequester();
    await expect(
      readCertRep(der, {
        ...expected(),
        requester: { certificate: stranger.certificate, privateKeyPem: stranger.key.privateKeyPem },
      }),
    ).rejects.toThrow(/not encrypted to the RA certificate/);
  });

  it('answers FAILURE with the failInfo and its text (at most 512 characters), verifiable by OpenSSL', async () => {
    const der = await buildCertRep({
      ra: raSigner(),
      chain: [],
      request,
      outcome: { status: 'FAILURE', failInfo: 'badTime', text: `x${'y'.repeat(1000)}` },
      now: new Date(),
    });
    const read = await readCertRep(der, expected());
    expect(read).toMatchObject({ status: 'FAILURE', failInfo: 'badTime' });
    expect(read.failInfoText).toHaveLength(512);
    const files = writeFiles({ 'failure.der': der });
    expect(
      openssl(['cms', '-verify', '-noverify', '-inform', 'DER', '-in', files['failure.der']!, '-out', '/dev/null']),
    ).toEqual({
      status: 0,
      output: 'CMS Verification successful\n',
    });
  });

  it('is refused by the requester when it answers another request', async () => {
    const der = await buildCertRep({
      ra: raSigner(),
      chain: [],
      request: { transactionId: 'another', senderNonce: request.senderNonce },
      outcome: { status: 'FAILURE', failInfo: 'badRequest', text: 'no' },
      now: new Date(),
    });
    await expect(readCertRep(der, expected())).rejects.toThrow('the CertRep answers another transaction');
  });
});
