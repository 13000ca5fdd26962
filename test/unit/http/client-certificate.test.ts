// The three header formats proxies forward a client certificate in, parsed strictly: exactly one
// certificate comes out, or a precise reason why not.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parseCertificateHeader } from '../../../src/http/client-certificate.js';
import { issueFor, makeCa } from '../trust/fixtures.js';

describe('parseCertificateHeader', () => {
  let pem: string;
  let der: Uint8Array;

  beforeAll(async () => {
    const issued = await issueFor(await makeCa());
    pem = issued.certificatePem;
    der = new Uint8Array(issued.certificate.rawData);
  });

  const certificate = () => ({ kind: 'certificate', der, via: 'header' });

  it('reads Envoy XFCC: the Cert field of a single element, quotes and separators inside it kept', () => {
    const value = `By=spiffe://mesh/proxy;Hash=0a1b;Subject="CN=a,O=b;c";Cert="${encodeURIComponent(pem)}";URI=x`;
    expect(parseCertificateHeader('xfcc', [value])).toEqual(certificate());
  });

  it('refuses XFCC with several elements (several hops) or without a Cert field', () => {
    const one = `Cert="${encodeURIComponent(pem)}"`;
    expect(parseCertificateHeader('xfcc', [`${one},${one}`])).toEqual({
      kind: 'malformed',
      reason: 'expected one X-Forwarded-Client-Cert element, got 2',
    });
    expect(parseCertificateHeader('xfcc', [one, one])).toMatchObject({ kind: 'malformed' });
    expect(parseCertificateHeader('xfcc', ['Hash=abc'])).toEqual({
      kind: 'malformed',
      reason: 'the X-Forwarded-Client-Cert element has no Cert field',
    });
    expect(parseCertificateHeader('xfcc', ['Cert="unbalanced'])).toEqual({
      kind: 'malformed',
      reason: 'unbalanced quotes',
    });
  });

  it('reads RFC 9440 Client-Cert as a byte sequence, and refuses anything else', () => {
    expect(parseCertificateHeader('rfc9440', [`:${Buffer.from(der).toString('base64')}:`])).toEqual(certificate());
    expect(parseCertificateHeader('rfc9440', [Buffer.from(der).toString('base64')])).toEqual({
      kind: 'malformed',
      reason: 'Client-Cert must be a byte sequence :<base64>:',
    });
  });

  it('reads nginx $ssl_client_escaped_cert, and refuses two blocks or a private key', () => {
    expect(parseCertificateHeader('escaped_pem', [encodeURIComponent(pem)])).toEqual(certificate());
    expect(parseCertificateHeader('escaped_pem', [encodeURIComponent(pem + pem)])).toMatchObject({ kind: 'malformed' });
    const key = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n';
    expect(parseCertificateHeader('escaped_pem', [encodeURIComponent(key)])).toEqual({
      kind: 'malformed',
      reason: 'expected exactly one PEM CERTIFICATE block',
    });
    expect(parseCertificateHeader('escaped_pem', ['%E0%A4%A'])).toMatchObject({ kind: 'malformed' });
  });

  it('treats an empty header as no certificate', () => {
    expect(parseCertificateHeader('xfcc', [''])).toEqual({ kind: 'none' });
  });
});
