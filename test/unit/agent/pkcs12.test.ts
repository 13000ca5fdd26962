import { createPrivateKey } from 'node:crypto';
import { buildPkcs12, randomPkcs12Password } from '../../../src/agent/pkcs12.js';
import { openssl, writeFiles } from '../trust/fixtures.js';
import { makeDevice, type TestDevice } from './device-fixture.js';

let device: TestDevice;

beforeAll(async () => {
  device = await makeDevice();
});

const build = (password: string, iterations = 2048) =>
  buildPkcs12({
    privateKeyPem: device.privateKeyPem,
    certificatePem: device.certificatePem,
    chainPem: device.chainPem,
    password,
    friendlyName: 'Latchkey Device Trust',
    iterations,
  });

describe('buildPkcs12', () => {
  it('protects key and certificates with PBES2 AES-256-CBC / PBKDF2-SHA256 and an SHA-256 MAC', async () => {
    const files = writeFiles({ 'device.p12': await build('correct horse', 100_000) });
    const info = openssl(['pkcs12', '-in', files['device.p12']!, '-passin', 'pass:correct horse', '-info', '-noout']);
    expect(info.status).toBe(0);
    expect(info.output).toContain('MAC: sha256, Iteration 100000');
    expect(info.output).toContain('Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 100000, PRF hmacWithSHA256');
    expect(info.output).toContain('PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC');
  });

  it('holds the same key, the leaf with its friendly name and the intermediate', async () => {
    const files = writeFiles({ 'device.p12': await build('pw') });
    const dump = openssl(['pkcs12', '-in', files['device.p12']!, '-passin', 'pass:pw', '-nodes']);
    expect(dump.status).toBe(0);
    expect(dump.output).toContain('friendlyName: Latchkey Device Trust');
    expect(dump.output).toContain('friendlyName: Latchkey Device Trust Intermediate CA');
    expect(dump.output.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/.exec(dump.output)![0];
    const exported = (pem: string) => createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' }).toString('hex');
    expect(exported(key)).toBe(exported(device.privateKeyPem));
  });

  it('cannot be opened with another password', async () => {
    const files = writeFiles({ 'device.p12': await build('right') });
    expect(openssl(['pkcs12', '-in', files['device.p12']!, '-passin', 'pass:wrong', '-noout']).status).not.toBe(0);
  });

  it('refuses an empty password and inputs that are not what they claim', async () => {
    await expect(build('')).rejects.toMatchObject({ code: 'ERR_PKCS12_PASSWORD' });
    await expect(
      buildPkcs12({
        privateKeyPem: device.certificatePem,
        certificatePem: device.certificatePem,
        password: 'x',
        friendlyName: 'x',
      }),
    ).rejects.toMatchObject({ code: 'ERR_PKCS12_INPUT' });
  });

  it('makes random one-time passwords', () => {
    expect(randomPkcs12Password()).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(randomPkcs12Password()).not.toBe(randomPkcs12Password());
  });
});
