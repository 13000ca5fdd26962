// The pkcsPKIEnvelope: sealed for a recipient certificate and opened by its key with every AES size; refused
// (with the failInfo a CertRep will carry) when it is for someone else, uses a cipher we do not advertise,
// or is not EnvelopedData; and interoperable with OpenSSL's CMS in both directions.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { type ContentAlgorithm, openEnvelope, sealEnvelope } from '../../../../src/trust/scep/envelope.js';
import { ScepRefusalError } from '../../../../src/trust/scep/errors.js';
import { openssl, writeFiles } from '../fixtures.js';
import { makeRa, makeRequester, type TestRa } from './fixtures.js';

const CONTENT = new TextEncoder().encode('a certificate request, in a real exchange');

function refusal(open: () => unknown): { code: string; failInfo: string } {
  try {
    open();
  } catch (error) {
    if (error instanceof ScepRefusalError) return { code: error.code, failInfo: error.failInfo };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('pkcsPKIEnvelope', () => {
  let ra: TestRa;
  beforeAll(async () => {
    ra = await makeRa();
  });

  it.each<ContentAlgorithm>(['aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc'])(
    'seals and opens with %s, reporting the cipher (the answer uses it again)',
    (algorithm) => {
      const opened = openEnvelope(sealEnvelope(CONTENT, ra.certificate, algorithm), ra);
      expect(opened).toEqual({ content: CONTENT, algorithm });
    },
  );

  it('refuses an envelope for another certificate (badCertId)', async () => {
    const stranger = await makeRequester();
    expect(refusal(() => openEnvelope(sealEnvelope(CONTENT, stranger.certificate, 'aes-256-cbc'), ra))).toEqual({
      code: 'ERR_SCEP_RECIPIENT',
      failInfo: 'badCertId',
    });
  });

  it('refuses what is not EnvelopedData (badMessageCheck)', () => {
    expect(refusal(() => openEnvelope(new Uint8Array([0x30, 0x00]), ra))).toEqual({
      code: 'ERR_SCEP_ENVELOPE',
      failInfo: 'badMessageCheck',
    });
    expect(refusal(() => openEnvelope(CONTENT, ra))).toMatchObject({ code: 'ERR_SCEP_ENVELOPE' });
  });

  it('opens what OpenSSL encrypts to the RA (cms -encrypt -aes256), and OpenSSL opens what it seals', () => {
    const files = writeFiles({
      'ra.pem': ra.certificate.toString('pem'),
      'ra.key': ra.privateKeyPem,
      'content.bin': CONTENT,
      'sealed.der': sealEnvelope(CONTENT, ra.certificate, 'aes-128-cbc'),
    });
    const encrypted = openssl([
      'cms',
      '-encrypt',
      '-binary',
      '-aes256',
      '-outform',
      'DER',
      '-in',
      files['content.bin']!,
      '-out',
      `${files['content.bin']!}.p7`,
      files['ra.pem']!,
    ]);
    expect(encrypted.status).toBe(0);
    const fromOpenssl = new Uint8Array(readFileSync(`${files['content.bin']!}.p7`));
    expect(openEnvelope(fromOpenssl, ra)).toEqual({ content: CONTENT, algorithm: 'aes-256-cbc' });
    const decrypted = openssl([
      'cms',
      '-decrypt',
      '-binary',
      '-inform',
      'DER',
      '-in',
      files['sealed.der']!,
      '-recip',
      files['ra.pem']!,
      '-inkey',
      files['ra.key']!,
    ]);
    expect(decrypted).toEqual({ status: 0, output: new TextDecoder().decode(CONTENT) });
  });
});
