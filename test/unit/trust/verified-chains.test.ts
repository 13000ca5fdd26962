// VerifiedChains answers a certificate verified before from memory, but only while nothing the full
// verification depends on can have changed: the same anchors, `now` inside every validity period. The
// full verification here is the real one, counted.
import { describe, expect, it, beforeAll } from '@jest/globals';
import { type ChainAnchors, VerifiedChains } from '../../../src/trust/verified-chains.js';
import { verifyDeviceCertificateChain } from '../../../src/trust/verify.js';
import { DAY, issueFor, makeCa, NOW, type TestCa } from './fixtures.js';

describe('VerifiedChains', () => {
  let testCa: TestCa;
  let anchors: ChainAnchors;
  let other: TestCa;

  beforeAll(async () => {
    [testCa, other] = await Promise.all([makeCa(), makeCa()]);
    anchors = { root: testCa.root.certificate, verifying: [testCa.intermediate.certificate] };
  });

  function counted(limit?: number) {
    const calls = { n: 0 };
    const chains = new VerifiedChains(async (leaf, trust, now) => {
      calls.n += 1;
      return verifyDeviceCertificateChain({
        leaf,
        trustAnchors: { root: trust.root, intermediate: trust.verifying },
        now,
      });
    }, limit);
    return { chains, calls };
  }
  const der = async (ca = testCa) => new Uint8Array((await issueFor(ca)).certificate.rawData);

  it('verifies a certificate once and answers it again from memory with the same result', async () => {
    const { chains, calls } = counted();
    const leaf = await der();
    const first = await chains.verify(leaf, anchors, NOW);
    const again = await chains.verify(leaf, anchors, new Date(NOW.getTime() + DAY));
    expect(first).toMatchObject({ ok: true, deviceId: 'dev-0001' });
    expect(again).toBe(first);
    expect(calls.n).toBe(1);
  });

  it('verifies in full once the leaf has expired, and refuses it', async () => {
    const { chains, calls } = counted();
    const leaf = await der();
    await chains.verify(leaf, anchors, NOW);
    const late = await chains.verify(leaf, anchors, new Date(NOW.getTime() + 60 * DAY));
    expect(late).toMatchObject({ ok: false, code: 'ERR_CERT_EXPIRED' });
    expect(calls.n).toBe(2);
  });

  it('never keeps a refusal: a certificate of another CA is verified in full each time', async () => {
    const { chains, calls } = counted();
    const stranger = await der(other);
    for (let i = 0; i < 3; i += 1) {
      expect(await chains.verify(stranger, anchors, NOW)).toMatchObject({
        ok: false,
        code: 'ERR_CERT_UNTRUSTED_CHAIN',
      });
    }
    expect(calls.n).toBe(3);
  });

  it('verifies again under other anchors (a rotated or replaced CA)', async () => {
    const { chains, calls } = counted();
    const leaf = await der();
    await chains.verify(leaf, anchors, NOW);
    const replaced = { root: other.root.certificate, verifying: [other.intermediate.certificate] };
    expect(await chains.verify(leaf, replaced, NOW)).toMatchObject({ ok: false, code: 'ERR_CERT_UNTRUSTED_CHAIN' });
    expect(calls.n).toBe(2);
  });

  it('keeps at most `limit` certificates, giving up the least recently used', async () => {
    const { chains, calls } = counted(2);
    const [a, b, c] = await Promise.all([der(), der(), der()]);
    await chains.verify(a, anchors, NOW);
    await chains.verify(b, anchors, NOW);
    await chains.verify(a, anchors, NOW); // a is now the most recently used
    await chains.verify(c, anchors, NOW); // gives up b
    expect(calls.n).toBe(3);
    await chains.verify(a, anchors, NOW);
    expect(calls.n).toBe(3);
    await chains.verify(b, anchors, NOW);
    expect(calls.n).toBe(4);
  });
});
