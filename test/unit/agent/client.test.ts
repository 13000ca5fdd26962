import { AgentRequestError, requestEnrollment, requestRenewal } from '../../../src/agent/client.js';
import { AGENT_EXIT } from '../../../src/agent/exit-codes.js';
import { newDeviceKey } from '../../../src/agent/keys.js';
import type { DevicePosture } from '../../../src/agent/posture.js';
import { joinPem } from '../../../src/trust/pem.js';
import { x509 } from '../../../src/trust/x509.js';
import { DAY, NOW } from '../trust/fixtures.js';
import { type MiniServer, startMiniServer } from './mini-server.js';

let server: MiniServer;
const posture: DevicePosture = { platform: 'linux', osVersion: '12', hostname: 'test-host', integrity: 'unknown' };

beforeAll(async () => {
  server = await startMiniServer();
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => server.reset());

const enrollOnce = async () => {
  const key = await newDeviceKey();
  const response = await requestEnrollment(
    server.url,
    { token: server.token, csr: key.csrPem, posture },
    { serverCaPem: server.tlsCaPem },
  );
  return { key, response };
};

const failure = async (promise: Promise<unknown>): Promise<AgentRequestError> => {
  const error: unknown = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AgentRequestError);
  return error as AgentRequestError;
};

describe('agent HTTP client', () => {
  it('enrolls with token, CSR and posture and gets certificate, chain and device id', async () => {
    const { response } = await enrollOnce();
    expect(response).toMatchObject({ deviceId: 'dev-mini-1', deviceCheckUrl: server.url });
    expect(new x509.X509Certificate(response.certificate).issuer).toBe('CN=Latchkey Device Trust Intermediate CA');
    expect(response.chain).toEqual([server.testCa.intermediate.certificatePem]);
  });

  it('refuses a server certificate it was not told to trust, and names --ca-file as the fix', async () => {
    const key = await newDeviceKey();
    const error = await failure(requestEnrollment(server.url, { token: server.token, csr: key.csrPem, posture }));
    expect(error).toMatchObject({ outcome: 'unavailable', code: 'ERR_AGENT_TLS_UNTRUSTED' });
    expect(error.message).toMatch(
      new RegExp(
        `^cannot reach ${new URL(server.url).origin}: its TLS certificate is not trusted on this device \\(\\w+\\)\\.`,
      ),
    );
    expect(error.message).toContain('give that certificate (PEM) with --ca-file FILE when enrolling');
    expect(error.exitCode).toBe(AGENT_EXIT.unavailable);
  });

  it('reports a refused token with the server code (exit 2)', async () => {
    const key = await newDeviceKey();
    const error = await failure(
      requestEnrollment(server.url, { token: 'wrong', csr: key.csrPem, posture }, { serverCaPem: server.tlsCaPem }),
    );
    expect(error).toMatchObject({ outcome: 'refused', code: 'ERR_ENROLLMENT_TOKEN', status: 401 });
    expect(error.message).toContain('invalid or used');
    expect(error.exitCode).toBe(AGENT_EXIT.refused);
  });

  it('reports server errors as retryable (exit 3)', async () => {
    server.state.failWith503 = true;
    const key = await newDeviceKey();
    const error = await failure(
      requestEnrollment(
        server.url,
        { token: server.token, csr: key.csrPem, posture },
        { serverCaPem: server.tlsCaPem },
      ),
    );
    expect(error).toMatchObject({ outcome: 'unavailable', status: 503 });
  });

  it('reports an unreachable server as retryable', async () => {
    const error = await failure(requestEnrollment('https://127.0.0.1:1', { token: 't', csr: 'c', posture }));
    expect(error).toMatchObject({ outcome: 'unavailable', code: 'ERR_AGENT_NETWORK' });
  });

  it('renews over mTLS: the server sees the current certificate', async () => {
    const { key, response } = await enrollOnce();
    server.state.now = new Date(NOW.getTime() + 21 * DAY);
    const renewed = await requestRenewal(
      server.url,
      {},
      {
        certificateChainPem: joinPem([response.certificate, ...response.chain]),
        privateKeyPem: key.privateKeyPem,
        serverCaPem: server.tlsCaPem,
      },
    );
    expect(server.state.lastClientSerial).toBe(new x509.X509Certificate(response.certificate).serialNumber);
    expect(renewed.deviceId).toBe(response.deviceId);
    expect(new x509.X509Certificate(renewed.certificate).serialNumber).not.toBe(server.state.lastClientSerial);
  });

  it('tells "distribution off" apart from other refusals (exit 4)', async () => {
    const { key, response } = await enrollOnce();
    server.state.distributionOff = true;
    const error = await failure(
      requestRenewal(
        server.url,
        {},
        { certificateChainPem: response.certificate, privateKeyPem: key.privateKeyPem, serverCaPem: server.tlsCaPem },
      ),
    );
    expect(error).toMatchObject({ outcome: 'distribution-off', code: 'ERR_DEVICE_DISTRIBUTION_OFF' });
    expect(error.exitCode).toBe(AGENT_EXIT.distributionOff);
  });

  it('is refused when presenting a certificate from another CA', async () => {
    const other = await (await import('./device-fixture.js')).makeDevice();
    const error = await failure(
      requestRenewal(
        server.url,
        {},
        { certificateChainPem: other.certificatePem, privateKeyPem: other.privateKeyPem, serverCaPem: server.tlsCaPem },
      ),
    );
    expect(error).toMatchObject({ outcome: 'refused', code: 'ERR_CERT_UNTRUSTED_CHAIN' });
  });
});
