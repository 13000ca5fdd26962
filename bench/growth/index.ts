// How cost grows with data: the device check, the CRL and the sign-ins measured on the seeded-small
// database, then again after growing it to 100,000 users, 100,000 device certificates (one in ten
// revoked) and 100,000 live sessions; and what a session takes in SQL and in Redis.
import { performance } from 'node:perf_hooks';
import type { Services } from '../../src/server/services.js';
import { enrolledDevices, mutualTlsFetch, type BenchDevice } from '../lib/devices.js';
import { BENCH_USERNAME, type LatchkeyTarget } from '../lib/latchkey.js';
import { percentile } from '../lib/measure.js';
import { relyingPartyOf } from '../lib/scenario.js';
import { seedDeviceCertificates, seedSessions, seedUsers } from './seed.js';
import { redisUsedMemory, tableBytes } from './sizes.js';

export interface LatencyFigures {
  count: number;
  p50Ms: number;
  p99Ms: number;
}

export interface CrlFigures {
  entries: number;
  bytes: number;
  /** Time of a GET /device/crl that had to rebuild it (revocations changed since the last). */
  buildMs: number;
}

export interface GrowthResult {
  rows: number;
  seedSeconds: number;
  deviceCheckBefore: LatencyFigures;
  deviceCheckAfter: LatencyFigures;
  crlBefore: CrlFigures;
  crlAfter: CrlFigures;
  sessions: {
    store: 'sql' | 'redis';
    /** Bytes per session of the store sessions live in (oidc_payloads rows, or Redis memory). */
    bytesPerSession: number;
    /** Bytes per row of session_proofs (SQL, kept for every session whatever the store). */
    proofBytesPerSession: number;
  };
}

/** GET /device/check over one kept-alive mutual-TLS connection, one request at a time (handshake excluded). */
export async function deviceCheckLatency(
  target: LatchkeyTarget,
  device: BenchDevice,
  seconds: number,
): Promise<LatencyFigures> {
  const tls = mutualTlsFetch(target, device);
  const check = async () => {
    const response = await tls.fetch(`${target.deviceCheckUrl}/device/check`, {
      headers: { accept: 'application/json' },
    });
    const body = (await response.json()) as { status?: string };
    if (response.status !== 200 || body.status === 'untrusted' || body.status === undefined)
      throw new Error(`device check failed: ${response.status} ${JSON.stringify(body)}`);
  };
  try {
    for (let i = 0; i < 20; i += 1) await check();
    const latencies: number[] = [];
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      const t0 = performance.now();
      await check();
      latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    return { count: latencies.length, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
  } finally {
    await tls.close();
  }
}

/**
 * The CRL's size and entries, and how long it took to build: the first GET after revocations changed
 * makes the node rebuild it (the growth seeding changed them; before it, one more revocation does).
 */
async function crlFigures(target: LatchkeyTarget, s: Services, revokeOneFirst: boolean): Promise<CrlFigures> {
  if (revokeOneFirst) {
    const victim = await s.db('device_certificates').whereNull('revoked_at').first('serial');
    await s
      .db('device_certificates')
      .where({ serial: victim.serial })
      .update({ revoked_at: Date.now(), revocation_reason: 'superseded' });
  }
  const t0 = performance.now();
  const response = await target.fetch(`${target.issuer}/device/crl`);
  const der = new Uint8Array(await response.arrayBuffer());
  const buildMs = performance.now() - t0;
  if (response.status !== 200)
    throw new Error(`GET /device/crl: ${response.status} ${Buffer.from(der).toString().slice(0, 300)}`);
  const entries = Number(
    ((await s.db('device_certificates').whereNotNull('revoked_at').count({ n: '*' }).first()) as { n: unknown }).n,
  );
  return { entries, bytes: der.byteLength, buildMs };
}

/** Measures, grows the data to `rows` of each kind, measures again. */
export async function growth(target: LatchkeyTarget, rows: number, seconds: number): Promise<GrowthResult> {
  const [device] = await enrolledDevices(target, 1);
  // A real session to copy (whatever scenarios ran before).
  const rp = await relyingPartyOf(target, target.codeClient);
  const started = await rp.start();
  await rp.finish(await target.signIn(target.newUser(), started.url), started);
  const s = await target.openServices();
  try {
    const deviceCheckBefore = await deviceCheckLatency(target, device!, seconds);
    const crlBefore = await crlFigures(target, s, true);
    const redis = s.redis !== undefined;
    const began = performance.now();
    const userIds = await seedUsers(s, rows, BENCH_USERNAME);
    await seedDeviceCertificates(s, userIds, 10);
    const payloadBytes = redis ? await redisUsedMemory(s.redis!) : await tableBytes(s.db, 'oidc_payloads');
    const proofBytes = await tableBytes(s.db, 'session_proofs');
    await seedSessions(s, userIds, redis);
    const seedSeconds = (performance.now() - began) / 1000;
    const payloadAfter = redis ? await redisUsedMemory(s.redis!) : await tableBytes(s.db, 'oidc_payloads');
    const proofAfter = await tableBytes(s.db, 'session_proofs');
    const deviceCheckAfter = await deviceCheckLatency(target, device!, seconds);
    const crlAfter = await crlFigures(target, s, false);
    return {
      rows,
      seedSeconds,
      deviceCheckBefore,
      deviceCheckAfter,
      crlBefore,
      crlAfter,
      sessions: {
        store: redis ? 'redis' : 'sql',
        bytesPerSession: (payloadAfter - payloadBytes) / rows,
        proofBytesPerSession: (proofAfter - proofBytes) / rows,
      },
    };
  } finally {
    await s.close();
  }
}
