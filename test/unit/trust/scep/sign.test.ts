// Signed pkiMessages are DER where strict parsers look: the content is one primitive OCTET STRING (present
// even when empty, which OpenSSL needs) and the signed attributes are in DER SET OF order (Go re-encodes
// them to verify the signature). micromdm's scepclient found both; these keep them fixed.
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { toArrayBuffer } from '../../../../src/trust/pem.js';
import { printable } from '../../../../src/trust/scep/attributes.js';
import { signPkiMessage } from '../../../../src/trust/scep/sign.js';
import { makeRequester, type TestRequester } from './fixtures.js';

function signedDataOf(der: Uint8Array): pkijs.SignedData {
  return new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(toArrayBuffer(der)).content });
}

describe('signed pkiMessage encoding', () => {
  let requester: TestRequester;
  const sign = (content: Uint8Array | null) =>
    signPkiMessage({
      signer: { certificate: requester.certificate, privateKey: requester.key.keys.privateKey },
      content,
      // Deliberately out of order: "3" sorts before "19" only by encoding, not by insertion.
      attributes: [printable('2.16.840.1.113733.1.9.7', 'zz-transaction'), printable('2.16.840.1.113733.1.9.2', '19')],
      now: new Date(),
    });

  beforeAll(async () => {
    requester = await makeRequester();
  });

  it.each([
    ['some content', new Uint8Array(3000).fill(7)],
    ['empty content', new Uint8Array(0)],
  ])('carries %s as one primitive OCTET STRING', async (_name, content) => {
    const { eContent } = signedDataOf(await sign(content)).encapContentInfo;
    expect(eContent).toBeDefined();
    expect(eContent!.idBlock.isConstructed).toBe(false);
    expect(new Uint8Array(eContent!.getValue())).toEqual(content);
  });

  it('leaves absent content absent', async () => {
    expect(signedDataOf(await sign(null)).encapContentInfo.eContent).toBeUndefined();
  });

  it('encodes the signed attributes in DER order', async () => {
    const attributes = signedDataOf(await sign(new Uint8Array([1]))).signerInfos[0]!.signedAttrs!;
    const set = asn1js.fromBER(attributes.encodedValue).result as asn1js.Set;
    const encodings = set.valueBlock.value.map((element) => Buffer.from(element.toBER()));
    expect(encodings).toHaveLength(5);
    expect([...encodings].sort(Buffer.compare)).toEqual(encodings);
  });
});
