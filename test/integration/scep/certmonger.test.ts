// SCEP against a client nobody here wrote: Debian's certmonger (daemon + getcert + scep-submit) enrolls,
// renews and is refused by a running Latchkey. The certificates it receives verify with `openssl verify`
// against the chain and pass the device check on the mTLS listener exactly like agent-enrolled ones.
// certmonger's scep-submit checks TLS for PKIOperation against the system trust store only (it passes
// -R to GetCACaps/GetCACert alone), so enrollment runs over the plain-HTTP SCEP listener, with the CA
// pinned (-N); GetCACaps and GetCACert are also read over HTTPS with Latchkey's TLS certificate.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import { type Certmonger, certmongerAvailable, startCertmonger } from '../../helpers/certmonger.js';
import { strictTools } from '../../helpers/scep-clients.js';
import type { TestServer } from '../../helpers/server.js';
import { mutualTlsFetch } from '../device-trust/helpers.js';
import { freePort, scepCounts, startScepServer } from './helpers.js';

// certmonger works on its own schedule (it polls its helpers); give it room.
jest.setTimeout(180_000);

const available = certmongerAvailable();
const suite = available.ok || strictTools() ? describe : describe.skip;
const title = available.ok ? '' : ` (skipped: ${available.reason})`;

function openssl(args: readonly string[]): Promise<{ status: number; output: string }> {
  return new Promise((resolve) => {
    execFile('openssl', args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ status: error ? 1 : 0, output: `${stdout}${stderr}` });
    });
  });
}

suite(`certmonger as the SCEP client [${backendName()}]${title}`, () => {
  let server: TestServer;
  let certmonger: Certmonger;
  let files: string;
  let plainUrl: string;
  let staticChallenge: string;
  const chainFiles = () => ({ root: path.join(files, 'root.pem'), intermediate: path.join(files, 'intermediate.pem') });

  beforeAll(async () => {
    if (!available.ok) throw new Error(`certmonger is required under CI: ${available.reason}`);
    const plainPort = await freePort();
    // Renewals are due at once, so certmonger's resubmit is a renewal (the window is tested elsewhere).
    server = await startScepServer({
      scep: { plain_http: { port: plainPort, host: '127.0.0.1' } },
      device_trust: { renewal_fraction: '1/100000' },
    });
    plainUrl = `http://127.0.0.1:${server.app.scepPlainHttpPort}/scep`;
    await server.addUser('alice');
    await server.addUser('bob');
    staticChallenge = await server.app.services.scep.rotateStaticChallenge('macos', { actor: 'test' });
    const ca = (await server.app.services.deviceTrust.showCa())!;
    files = mkdtempSync(path.join(tmpdir(), 'latchkey-scep-chain-'));
    writeFileSync(chainFiles().root, ca.rootPem);
    writeFileSync(chainFiles().intermediate, ca.intermediatePem);
    certmonger = await startCertmonger(available.scepSubmit);
    for (const profile of ['macos', 'ios']) {
      const added = await certmonger.getcert([
        'add-scep-ca',
        '-c',
        `latchkey-${profile}`,
        '-u',
        `${plainUrl}/${profile}`,
        '-N',
        chainFiles().intermediate,
      ]);
      expect(added).toEqual({ status: 0, stdout: `New CA "latchkey-${profile}" added.\n`, stderr: '' });
    }
  });
  afterAll(async () => {
    await certmonger?.stop();
    if (files) rmSync(files, { recursive: true, force: true });
    await server?.close();
  });

  const request = (id: string, profile: string, extra: readonly string[]) =>
    certmonger.getcert([
      'request',
      '-c',
      `latchkey-${profile}`,
      '-I',
      id,
      '-k',
      certmonger.file(`${id}.key`),
      '-f',
      certmonger.file(`${id}.crt`),
      ...extra,
    ]);

  const deviceCheck = async (id: string) => {
    const client = mutualTlsFetch(server, {
      certificatePem: certmonger.read(`${id}.crt`),
      chainPem: [(await server.app.services.deviceTrust.showCa())!.intermediatePem],
      privateKeyPem: certmonger.read(`${id}.key`),
    });
    try {
      const response = await client.fetch(`${server.deviceCheckUrl}/device/check`);
      return (await response.json()) as { status: string; device?: { id: string; userId: string; platform: string } };
    } finally {
      await client.close();
    }
  };

  it('reads GetCACaps and GetCACert with scep-submit over HTTPS, trusting Latchkey’s TLS certificate (-R)', async () => {
    const url = `${server.issuer}/scep/macos`;
    const caps = await certmonger.scepSubmit(['-u', url, '-R', server.app.tls.devCertFile!, '-c']);
    expect(caps.status).toBe(0);
    expect(caps.stdout.trim().split('\n')).toEqual(['POSTPKIOperation', 'SHA-256', 'AES', 'SCEPStandard', 'Renewal']);
    const certs = await certmonger.scepSubmit(['-u', url, '-R', server.app.tls.devCertFile!, '-C']);
    expect(certs.status).toBe(0);
    // scep-submit prints the RA certificate first (it picks the one that may encrypt), then the others.
    const printed = certs.stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    expect(printed).toHaveLength(3);
    const subjects = await Promise.all(
      printed.map(async (pem, i) => {
        const file = path.join(files, `printed-${i}.pem`);
        writeFileSync(file, `${pem}\n`);
        return (await openssl(['x509', '-in', file, '-noout', '-subject'])).output.trim();
      }),
    );
    expect(subjects[0]).toBe('subject=CN = Latchkey SCEP RA');
    expect(subjects.slice(1).sort()).toEqual([
      'subject=CN = Latchkey Device Identification Root CA',
      'subject=CN = Latchkey Device Trust Intermediate CA',
    ]);
  });

  it('enrolls with the static challenge and an email SAN: the certificate verifies with openssl and the device is trusted', async () => {
    const before = await scepCounts(server.app.services.db);
    const requested = await request('mac1', 'macos', [
      '-N',
      'CN=mac-1',
      '-E',
      'alice@example.com',
      '-L',
      staticChallenge,
    ]);
    expect(requested.status).toBe(0);
    const tracked = await certmonger.waitFor('mac1', ['MONITORING']);
    expect(tracked).toMatchObject({
      issuer: 'CN=Latchkey Device Trust Intermediate CA',
      'key usage': 'digitalSignature',
      eku: 'id-kp-clientAuth',
    });
    const verify = await openssl([
      'verify',
      '-CAfile',
      chainFiles().root,
      '-untrusted',
      chainFiles().intermediate,
      certmonger.file('mac1.crt'),
    ]);
    expect(verify).toEqual({ status: 0, output: `${certmonger.file('mac1.crt')}: OK\n` });
    const checked = await deviceCheck('mac1');
    expect(checked.status).toBe('trusted');
    const alice = await server.app.services.users.findByUsername('alice');
    const device = await server.app.services.deviceTrust.device(checked.device!.id);
    expect(device).toMatchObject({
      userId: alice!.id,
      platform: 'macos',
      source: 'scep',
      managed: true,
      hostname: 'mac-1',
    });
    expect(await scepCounts(server.app.services.db)).toMatchObject({
      devices: before.devices + 1,
      certificates: before.certificates + 1,
      transactions: before.transactions + 1,
    });
  });

  it('renews when asked again (a PKCSReq signed with its current certificate): same device, the old certificate superseded', async () => {
    const first = await deviceCheck('mac1');
    const oldSerial = (await openssl(['x509', '-in', certmonger.file('mac1.crt'), '-noout', '-serial'])).output;
    const resubmitted = await certmonger.getcert(['resubmit', '-i', 'mac1']);
    expect(resubmitted.status).toBe(0);
    let newSerial = oldSerial;
    for (let i = 0; i < 100 && newSerial === oldSerial; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      newSerial = (await openssl(['x509', '-in', certmonger.file('mac1.crt'), '-noout', '-serial'])).output;
    }
    expect(newSerial).not.toBe(oldSerial);
    await certmonger.waitFor('mac1', ['MONITORING']);
    const renewed = await deviceCheck('mac1');
    expect(renewed).toMatchObject({ status: 'trusted', device: { id: first.device!.id } });
    const certificates = await server.app.services.deviceTrust.listCertificates({ deviceId: first.device!.id });
    expect(certificates).toHaveLength(2);
    const [current, previous] = certificates;
    expect(previous).toMatchObject({ revocationReason: 'superseded' });
    expect(current).toMatchObject({ revokedAt: null, renewedFrom: previous!.serial });
  });

  it('enrolls with a one-time challenge from the admin API, and a second device with the same challenge is refused', async () => {
    const { token } = await server.app.services.adminTokens.create(
      { name: 'mdm', scopes: ['scep:challenges'], ttlMs: null, createdBy: 'test' },
      Date.now(),
    );
    const response = await server.fetch(`${server.issuer}/admin/scep/challenges`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'bob', profile: 'ios' }),
    });
    expect(response.status).toBe(201);
    const { challenge } = (await response.json()) as { challenge: string };
    expect(await request('phone1', 'ios', ['-N', 'CN=phone-1', '-L', challenge])).toMatchObject({ status: 0 });
    await certmonger.waitFor('phone1', ['MONITORING']);
    const checked = await deviceCheck('phone1');
    const bob = await server.app.services.users.findByUsername('bob');
    // integrity unknown (the ios profile does not vouch for it): managed, not trusted.
    expect(checked).toMatchObject({ status: 'managed', device: { userId: bob!.id, platform: 'ios' } });

    const before = await scepCounts(server.app.services.db);
    expect((await request('phone2', 'ios', ['-N', 'CN=phone-2', '-L', challenge])).status).toBe(0);
    const refused = await certmonger.waitFor('phone2', ['CA_REJECTED']);
    expect(refused['ca-error']).toBe('Transaction either is not permitted or is not supported by server.');
    expect(await scepCounts(server.app.services.db)).toEqual(before);
  });

  it('is told "not permitted" for a wrong challenge, and nothing is written', async () => {
    const before = await scepCounts(server.app.services.db);
    const requested = await request('mac2', 'macos', ['-N', 'CN=mac-2', '-E', 'alice@example.com', '-L', 'lks-wrong']);
    expect(requested.status).toBe(0);
    const refused = await certmonger.waitFor('mac2', ['CA_REJECTED']);
    expect(refused['ca-error']).toBe('Transaction either is not permitted or is not supported by server.');
    expect(await scepCounts(server.app.services.db)).toEqual(before);
    const audit = await server.app.services.audit.search({ event: 'scep.enroll', limit: 1 });
    expect(audit[0]).toMatchObject({ outcome: 'failure', reasons: ['ERR_SCEP_CHALLENGE_UNKNOWN'] });
  });
});
