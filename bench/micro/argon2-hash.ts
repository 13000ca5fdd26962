// One argon2id verification with Latchkey's configured parameters (src/credentials/passwords.ts), timed
// here on the same machine: a password sign-in costs one, so cores ÷ its time bounds password sign-ins
// per second whatever else the server does.
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { hashPassword, verifyPassword } from '../../src/credentials/passwords.js';
import { percentile } from '../lib/measure.js';

export interface Argon2Bound {
  hashMs: number;
  cores: number;
  /** Password verifications per second with every core hashing: cores / hash time. */
  boundPerSecond: number;
}

export async function argon2Bound(runs = 15): Promise<Argon2Bound> {
  const password = 'correct horse battery staple';
  const hash = await hashPassword(password);
  await verifyPassword(hash, password);
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t0 = performance.now();
    if (!(await verifyPassword(hash, password))) throw new Error('argon2 verification failed');
    times.push(performance.now() - t0);
  }
  const hashMs = percentile(
    times.sort((a, b) => a - b),
    50,
  );
  const cores = availableParallelism();
  return { hashMs, cores, boundPerSecond: (cores * 1000) / hashMs };
}
