import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  defaultNssDir,
  ensureNssDatabase,
  installIntoNss,
  listNssCertificates,
  NSS_INTERMEDIATE_NICKNAME,
  NSS_NICKNAME,
  parseCertutilList,
  removeLatchkeyFromNss,
} from '../../../src/agent/nss.js';
import { tempDir, writeFiles } from '../trust/fixtures.js';
import { describeWithNss, makeDevice, type TestDevice } from './device-fixture.js';

/** Adds an unrelated CA certificate, as a user's database would have. */
const addOtherCertificate = (dir: string) => {
  const file = writeFiles({ 'other.pem': device.testCa.root.certificatePem })['other.pem']!;
  execFileSync('certutil', ['-A', '-d', `sql:${dir}`, '-n', 'Someone Else CA', '-t', 'C,,', '-a', '-i', file]);
};

const certutilList = (dir: string) => execFileSync('certutil', ['-L', '-d', `sql:${dir}`], { encoding: 'utf8' });

describe('parseCertutilList', () => {
  it('reads nicknames and trust attributes, skipping the header', () => {
    const output = [
      '',
      'Certificate Nickname                                         Trust Attributes',
      '                                                             SSL,S/MIME,JAR/XPI',
      '',
      'Latchkey Device Trust                                        u,u,u',
      'Latchkey Device Trust Intermediate CA                        ,,   ',
      'Other CA - Example                                           CT,C,C',
      '',
    ].join('\n');
    expect(parseCertutilList(output)).toEqual([
      { nickname: 'Latchkey Device Trust', trust: 'u,u,u' },
      { nickname: 'Latchkey Device Trust Intermediate CA', trust: ',,' },
      { nickname: 'Other CA - Example', trust: 'CT,C,C' },
    ]);
  });

  it('puts the database under ~/.pki/nssdb', () => {
    expect(defaultNssDir('/home/alice')).toBe('/home/alice/.pki/nssdb');
  });
});

let device: TestDevice;

describeWithNss('NSS installation (certutil/pk12util)', () => {
  beforeAll(async () => {
    device = await makeDevice();
  });

  const install = (dir: string, from: TestDevice = device) =>
    installIntoNss({
      dir,
      privateKeyPem: from.privateKeyPem,
      certificatePem: from.certificatePem,
      chainPem: from.chainPem,
    });

  it('creates the database if missing and installs key, certificate and intermediate', async () => {
    const dir = path.join(tempDir(), '.pki', 'nssdb');
    await expect(install(dir)).resolves.toEqual({ dir, nickname: NSS_NICKNAME });
    const listing = certutilList(dir);
    expect(listing).toMatch(/^Latchkey Device Trust\s+u,u,u$/m);
    expect(listing).toMatch(/^Latchkey Device Trust Intermediate CA\s+,,\s*$/m);
    const keys = execFileSync('certutil', ['-K', '-d', `sql:${dir}`, '-f', '/dev/null'], { encoding: 'utf8' });
    expect(keys).toContain(NSS_NICKNAME);
    const details = execFileSync('certutil', ['-L', '-d', `sql:${dir}`, '-n', NSS_NICKNAME], { encoding: 'utf8' });
    expect(details).toContain(`Serial Number:`);
    expect(details).toContain('urn:latchkey:device:dev-agent-1');
  });

  it('replaces the previous certificate on renewal and keeps other entries', async () => {
    const dir = tempDir();
    await ensureNssDatabase({ dir });
    addOtherCertificate(dir);
    await install(dir);
    const renewed = await makeDevice(device.testCa, 'dev-agent-1');
    await install(dir, renewed);
    const entries = await listNssCertificates(dir);
    expect(entries.filter((entry) => entry.nickname === NSS_NICKNAME)).toHaveLength(1);
    expect(entries.map((entry) => entry.nickname)).toContain('Someone Else CA');
    const details = execFileSync('certutil', ['-L', '-d', `sql:${dir}`, '-n', NSS_NICKNAME, '-a'], {
      encoding: 'utf8',
    });
    expect(details.replace(/\r/g, '').trim()).toBe(renewed.certificatePem.trim());
  });

  it('removes exactly the Latchkey entries', async () => {
    const dir = tempDir();
    await ensureNssDatabase({ dir });
    addOtherCertificate(dir);
    await install(dir);
    const removed = await removeLatchkeyFromNss({ dir });
    expect(removed.sort()).toEqual([NSS_NICKNAME, NSS_INTERMEDIATE_NICKNAME].sort());
    expect((await listNssCertificates(dir)).map((entry) => entry.nickname)).toEqual(['Someone Else CA']);
    // certutil -K exits non-zero when the database holds no keys at all.
    const keys = spawnSync('certutil', ['-K', '-d', `sql:${dir}`, '-f', '/dev/null'], { encoding: 'utf8' });
    expect(`${keys.stdout}${keys.stderr}`).toContain('no keys found');
  });

  it('has nothing to remove where there is no database', async () => {
    await expect(removeLatchkeyFromNss({ dir: path.join(tempDir(), 'none') })).resolves.toEqual([]);
  });

  it('says which package to install when the tools are missing', async () => {
    await expect(ensureNssDatabase({ dir: tempDir(), certutil: 'certutil-that-does-not-exist' })).rejects.toMatchObject(
      {
        code: 'ERR_AGENT_NSS',
        message: expect.stringContaining('libnss3-tools'),
      },
    );
  });
});
