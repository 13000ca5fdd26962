// One argon2id verification with Latchkey's configured parameters (src/credentials/passwords.ts), timed
// here on the same machine: a password sign-in costs one, so cores ÷ its time bounds password sign-ins
// per second whatever else the server does. The bound uses the CPU time of a verification (libuv's pool
// thread is part of this process), which other work on a shared machine does not inflate as it does
// the wall time; both are reported.
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { hashPassword, verifyPassword } from '../../src/credentials/passwords.js';
import { percentile } from '../lib/measure.js';

export interface Argon2Bound {
  /** CPU time of one verification (median), what the bound is made of. */
  hashMs: number;
  /** Wall time of one verification (median). */
  wallMs: number;
  cores: number;
  /** Password verifications per second with every core hashing: cores / hash time. */
  boundPerSecond: number;
}

export async function argon2Bound(runs = 15): Promise<Argon2Bound> {
  const password = 'correct horse battery staple';
  const hash = await hashPassword(password);
  await verifyPassword(hash, password);
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t0 = performance.now();
    const before = process.cpuUsage();
    if (!(await verifyPassword(hash, password))) throw new Error('argon2 verification failed');
    const used = process.cpuUsage(before);
    wall.push(performance.now() - t0);
    cpu.push((used.user + used.system) / 1000);
  }
  const median = (values: number[]) =>
    percentile(
      values.sort((a, b) => a - b),
      50,
    );
  const hashMs = median(cpu);
  const cores = availableParallelism();
  return { hashMs, wallMs: median(wall), cores, boundPerSecond: (cores * 1000) / hashMs };
}
