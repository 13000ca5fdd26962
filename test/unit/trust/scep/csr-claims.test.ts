// What a SCEP CSR claims, as MDMs fill it in: the challengePassword, emails (SAN rfc822Name and the subject's
// emailAddress) and UPNs (SAN otherName), lower-cased and de-duplicated, and the CN; nothing when absent.
import { describe, expect, it } from '@jest/globals';
import { toArrayBuffer } from '../../../../src/trust/pem.js';
import { csrClaims } from '../../../../src/trust/scep/csr-claims.js';
import { certificateRequest } from '../../../../src/trust/scep/requester.js';
import { x509 } from '../../../../src/trust/x509.js';
import { rsaKeys } from '../fixtures.js';

const keysPromise = rsaKeys(2048);

async function claims(input: Omit<Parameters<typeof certificateRequest>[0], 'keys'>) {
  return csrClaims(
    new x509.Pkcs10CertificateRequest(toArrayBuffer(await certificateRequest({ keys: await keysPromise, ...input }))),
  );
}

describe('CSR claims', () => {
  it('reads the challenge, the SAN email and UPN, the subject emailAddress and CN', async () => {
    expect(
      await claims({
        subject: 'CN=Alice’s iPhone, E=Alice@Example.com',
        challenge: 'lkd-1234',
        names: [
          { type: 'email', value: 'alice@example.com' },
          { type: 'upn', value: 'ALICE@corp.example' },
          { type: 'dns', value: 'ignored.example' },
        ],
      }),
    ).toEqual({
      challenge: 'lkd-1234',
      emails: ['alice@example.com'],
      upns: ['alice@corp.example'],
      commonName: 'Alice’s iPhone',
    });
  });

  it('claims nothing it does not carry', async () => {
    expect(await claims({ subject: 'O=Example' })).toEqual({
      challenge: undefined,
      emails: [],
      upns: [],
      commonName: undefined,
    });
  });
});
