// Two deployment facts of the device check: the intermediate CA can be rotated without stranding a single
// device (the previous one stays trusted, and its CRL published, while its certificates live), and behind
// a TLS-terminating proxy the client certificate arrives in a header that is believed only from the
// configured proxies, in each of the three formats proxies use.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseCertificate } from '../../../src/trust/certificate-input.js';
import { backendName } from '../../helpers/backend.js';
import { expectCallback, HttpUser } from '../../helpers/http-user.js';
import { relyingParty, REDIRECT_URI, type RelyingParty } from '../../helpers/rp.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { adminCli, enrolledDevice, mutualTlsFetch, type DeviceCredentials } from './helpers.js';

/** Only managed devices, for every client: the device check runs on every sign-in. */
const MANAGED_ONLY = `default: allow
policies:
  - { name: managed-only, state: enabled, conditions: { device: [unmanaged] }, outcome: deny }
`;

async function withPolicies(server: TestServer, text: string): Promise<void> {
  const file = path.join(server.dataDir, 'policies.yaml');
  writeFileSync(file, text);
  const result = await adminCli(server, { LATCHKEY_POLICIES: file })(['policy', 'reload']);
  if (result.status !== 0) throw new Error(result.stderr);
  await server.app.syncCluster();
}

/** Where a sign-in by a browser that sends `deviceCheckFetch` to the device-check listener ends. */
async function signInEnds(server: TestServer, rp: RelyingParty, deviceCheckFetch?: typeof fetch) {
  const browser = new HttpUser(server.fetch, server.issuer);
  if (deviceCheckFetch) browser.onDevice(deviceCheckFetch);
  const landing = await browser.go((await rp.start()).url);
  if (landing.kind === 'page') return { page: landing.page.html };
  return { error: expectCallback(landing).searchParams.get('error') };
}

describe(`intermediate CA rotation [${backendName()}]`, () => {
  let server: TestServer;
  let rp: RelyingParty;
  let before: DeviceCredentials;

  beforeAll(async () => {
    server = await startServer({ device_trust: { renewal_fraction: '1/10000' } });
    await server.app.services.deviceTrust.initCa({ actor: 'test' });
    const client = await server.addClient({ name: 'Rotation RP', redirectUri: [REDIRECT_URI] });
    rp = await relyingParty(server, client.clientId, client.clientSecret);
    await withPolicies(server, MANAGED_ONLY);
    await server.addUser('rita');
    before = await enrolledDevice(server, 'rita');
  });
  afterAll(async () => {
    await server?.close();
  });

  it('keeps devices of the previous intermediate trusted, issues from the new one, and publishes both CRLs', async () => {
    const rotated = await adminCli(server)(['ca', 'rotate-intermediate']);
    expect(rotated.stderr).toBe('');
    expect(rotated.stdout).toContain('rotated the device CA');

    // The device enrolled before the rotation still proves itself (the password page follows).
    const tls = mutualTlsFetch(server, before);
    try {
      expect(await signInEnds(server, rp, tls.fetch)).toEqual({ page: expect.stringContaining('name="password"') });
    } finally {
      await tls.close();
    }
    // New certificates come from the new intermediate, and carry its own CRL URL, once this node has seen
    // the CLI's change (within cluster.cache_revalidate_seconds).
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const after = await enrolledDevice(server, 'rita');
    expect(after.chainPem[0]).not.toBe(before.chainPem[0]);
    const ids = (await server.app.services
      .db('ca_certificates')
      .where({ role: 'intermediate' })
      .select('id', 'status')) as Array<{ id: string; status: string }>;
    expect(ids.map((row) => row.status).sort()).toEqual(['active', 'previous']);
    const active = ids.find((row) => row.status === 'active')!;
    const der = Buffer.from(parseCertificate(after.certificatePem).rawData);
    expect(der.includes(Buffer.from(`${server.issuer}/device/crl/${active.id}`))).toBe(true);
    for (const { id } of ids) {
      const crl = await server.fetch(`${server.issuer}/device/crl/${id}`);
      expect(crl.status).toBe(200);
      expect(crl.headers.get('content-type')).toBe('application/pkix-crl');
    }
    // A renewal of the old certificate moves the device to the new intermediate.
    const renewing = mutualTlsFetch(server, before);
    try {
      const renewed = await renewing.fetch(`${server.deviceCheckUrl}/device/renew`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(renewed.status).toBe(200);
      const { chain } = (await renewed.json()) as { chain: string[] };
      expect(chain[0]).toBe(after.chainPem[0]);
    } finally {
      await renewing.close();
    }
  });

  it('refuses to rotate when the root key is not held', async () => {
    await server.app.services
      .db('ca_certificates')
      .where({ role: 'root', status: 'active' })
      .update({ private_key_sealed: null });
    const refused = await adminCli(server)(['ca', 'rotate-intermediate']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('Latchkey does not hold the root key of this CA');
  });
});

describe(`the client certificate from a trusted proxy's header [${backendName()}]`, () => {
  let trusting: TestServer;
  let distrusting: TestServer;
  let rp: RelyingParty;
  let otherRp: RelyingParty;
  let device: DeviceCredentials;

  const header = (format: string) => ({ format, name: null, trusted_proxies: ['127.0.0.1/32', '::1/128'] });

  beforeAll(async () => {
    trusting = await startServer({ device_check: { client_certificate_header: header('xfcc') } });
    distrusting = await startServer({
      device_check: { client_certificate_header: { format: 'xfcc', name: null, trusted_proxies: ['10.0.0.0/8'] } },
    });
    for (const server of [trusting, distrusting]) {
      await server.app.services.deviceTrust.initCa({ actor: 'test' });
      await withPolicies(server, MANAGED_ONLY);
      await server.addUser('pia');
    }
    const client = await trusting.addClient({ name: 'Proxy RP', redirectUri: [REDIRECT_URI] });
    rp = await relyingParty(trusting, client.clientId, client.clientSecret);
    const other = await distrusting.addClient({ name: 'Other RP', redirectUri: [REDIRECT_URI] });
    otherRp = await relyingParty(distrusting, other.clientId, other.clientSecret);
    device = await enrolledDevice(trusting, 'pia');
  });
  afterAll(async () => {
    await trusting?.close();
    await distrusting?.close();
  });

  /** The server's fetch (no client certificate in TLS) adding `name: value` to device-check requests. */
  const proxied = (server: TestServer, name: string, value: string) =>
    ((input: string, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      headers.set(name, value);
      return server.fetch(input, { ...init, headers });
    }) as typeof fetch;

  const escapedPem = () => encodeURIComponent(device.certificatePem);

  it('believes an X-Forwarded-Client-Cert from a trusted proxy', async () => {
    const xfcc = `By=spiffe://proxy;Hash=abc;Cert="${escapedPem()}";Subject="CN=x"`;
    expect(await signInEnds(trusting, rp, proxied(trusting, 'x-forwarded-client-cert', xfcc))).toEqual({
      page: expect.stringContaining('name="password"'),
    });
  });

  it('refuses a malformed header from a trusted proxy, and answers /device/check with 400', async () => {
    const bad = proxied(trusting, 'x-forwarded-client-cert', 'Cert="not a certificate"');
    expect(await signInEnds(trusting, rp, bad)).toEqual({ error: 'access_denied' });
    const [check] = await trusting.app.services.audit.search({ event: 'login.device_certificate' });
    expect(check?.reasons[0]).toBe('ERR_CERT_HEADER_MALFORMED');
    const api = await bad(`${trusting.deviceCheckUrl}/device/check`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(400);
    expect(((await api.json()) as { error: string }).error).toBe('ERR_CERT_HEADER_MALFORMED');
    const twoHops = proxied(trusting, 'x-forwarded-client-cert', `Cert="${escapedPem()}",Cert="${escapedPem()}"`);
    expect(await signInEnds(trusting, rp, twoHops)).toEqual({ error: 'access_denied' });
  });

  it('ignores the header from a peer that is not a trusted proxy', async () => {
    const xfcc = `Cert="${escapedPem()}"`;
    const result = await signInEnds(distrusting, otherRp, proxied(distrusting, 'x-forwarded-client-cert', xfcc));
    expect(result).toEqual({ error: 'access_denied' });
    const [check] = await distrusting.app.services.audit.search({ event: 'login.device_certificate' });
    // Ignored, not refused: as if no certificate had been presented.
    expect(check?.reasons[0]).toBe('unmanaged');
  });

  it.each([
    [
      'rfc9440',
      'client-cert',
      () => `:${Buffer.from(parseCertificate(device.certificatePem).rawData).toString('base64')}:`,
    ],
    ['escaped_pem', 'x-ssl-client-cert', escapedPem],
  ])('reads the %s format', async (format, name, value) => {
    const server = await startServer(
      { device_check: { client_certificate_header: header(format) } },
      { join: trusting },
    );
    try {
      const answer = await proxied(
        server,
        name,
        value(),
      )(`${server.deviceCheckUrl}/device/check`, {
        headers: { accept: 'application/json' },
      });
      expect(answer.status).toBe(200);
      expect(await answer.json()).toMatchObject({ status: 'trusted', device: { id: device.deviceId } });
    } finally {
      await server.close();
    }
  });
});
