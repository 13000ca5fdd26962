// The contract oidc-provider relies on, checked against the store in use (SQL or Redis): find,
// consume, findByUid, findByUserCode, revokeByGrantId, TTLs enforced by the store, and revoking every
// artifact of an account. Plus the shared failed-attempt counters.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/log.js';
import { openServices, type Services } from '../../../src/server/services.js';
import { protocolAdapter } from '../../../src/oidc/adapter.js';
import { ConsumeConflict } from '../../../src/store/oidc-adapter.js';
import { backendName, prepareBackend, type Backend } from '../../helpers/backend.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(`oidc-provider store contract [${backendName()}]`, () => {
  let backend: Backend;
  let services: Services;
  let dataDir: string;

  beforeAll(async () => {
    backend = await prepareBackend();
    dataDir = mkdtempSync(path.join(tmpdir(), 'latchkey-store-'));
    const config = loadConfig({
      env: {},
      overrides: {
        data_dir: dataDir,
        database: { url: backend.databaseUrl },
        redis: { url: backend.redisUrl, key_prefix: backend.redisPrefix },
      },
    });
    services = await openServices(config, createLogger('silent'), {});
  });
  afterAll(async () => {
    await services?.close();
    await backend?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores, finds and destroys a payload', async () => {
    const adapter = services.oidcStore.adapterFor('Session');
    await adapter.upsert('s1', { uid: 'uid-1', accountId: 'acc-1', kind: 'Session' } as never, 60);
    expect(await adapter.find('s1')).toMatchObject({ uid: 'uid-1', accountId: 'acc-1' });
    expect(await adapter.findByUid('uid-1')).toMatchObject({ accountId: 'acc-1' });
    await adapter.destroy('s1');
    expect(await adapter.find('s1')).toBeUndefined();
    expect(await adapter.find('never-stored')).toBeUndefined();
  });

  it('marks a payload consumed with a timestamp, and only an existing one', async () => {
    const adapter = services.oidcStore.adapterFor('AuthorizationCode');
    await adapter.upsert('c1', { grantId: 'g-consume', kind: 'AuthorizationCode' } as never, 60);
    expect((await adapter.find('c1'))?.consumed).toBeUndefined();
    await adapter.consume('c1');
    const consumed = (await adapter.find('c1'))?.consumed as number;
    expect(consumed).toBeGreaterThan(Date.now() / 1000 - 10);
    await expect(adapter.consume('missing')).rejects.toBeInstanceOf(ConsumeConflict);
    expect(await adapter.find('missing')).toBeUndefined();
  });

  it('lets exactly one of many parallel consumers win; the others revoke the grant and fail as a replay', async () => {
    const codes = services.oidcStore.adapterFor('AuthorizationCode');
    const tokens = services.oidcStore.adapterFor('AccessToken');
    const grants = services.oidcStore.adapterFor('Grant');
    await grants.upsert('g-race', { accountId: 'acc-race', jti: 'g-race' } as never, 600);
    await codes.upsert('c-race', { grantId: 'g-race', kind: 'AuthorizationCode' } as never, 60);
    await tokens.upsert('at-race', { grantId: 'g-race', kind: 'AccessToken' } as never, 600);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => codes.consume('c-race')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(losers).toHaveLength(19);
    for (const loser of losers) expect(loser.reason).toBeInstanceOf(ConsumeConflict);
    expect(await grants.find('g-race')).toBeUndefined();
    expect(await tokens.find('at-race')).toBeUndefined();
    expect(await codes.find('c-race')).toBeUndefined();
  });

  it('answers a refresh token lost race as oidc-provider answers a replay: "already used"', async () => {
    const refresh = protocolAdapter(services.oidcStore.adapterFor('RefreshToken'));
    await refresh.upsert('rt-race', { grantId: 'g-rt-race', kind: 'RefreshToken' } as never, 600);
    const results = await Promise.allSettled([refresh.consume('rt-race'), refresh.consume('rt-race')]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    expect(lost.reason).toMatchObject({ error: 'invalid_grant', error_detail: 'refresh token already used' });
  });

  it('finds nothing for ids with control characters, on every backend alike', async () => {
    for (const model of ['Client', 'AccessToken', 'Session']) {
      const adapter = services.oidcStore.adapterFor(model);
      expect(await adapter.find('abc\u0000def')).toBeUndefined();
      expect(await adapter.findByUid('\u0000')).toBeUndefined();
    }
  });

  it('finds device-flow payloads by user code', async () => {
    const adapter = services.oidcStore.adapterFor('DeviceCode');
    await adapter.upsert('d1', { userCode: 'ABCD-EFGH', kind: 'DeviceCode' } as never, 60);
    expect(await adapter.findByUserCode('ABCD-EFGH')).toMatchObject({ userCode: 'ABCD-EFGH' });
  });

  it('expires payloads at the store after their TTL', async () => {
    const adapter = services.oidcStore.adapterFor('Interaction');
    await adapter.upsert('short', { uid: 'short-uid', kind: 'Interaction' } as never, 1);
    expect(await adapter.find('short')).toBeDefined();
    await sleep(2100);
    expect(await adapter.find('short')).toBeUndefined();
    expect(await adapter.findByUid('short-uid')).toBeUndefined();
  });

  it('revokes every artifact of a grant across models, and nothing else', async () => {
    const codes = services.oidcStore.adapterFor('AuthorizationCode');
    const access = services.oidcStore.adapterFor('AccessToken');
    const refresh = services.oidcStore.adapterFor('RefreshToken');
    await codes.upsert('gc', { grantId: 'g1' } as never, 60);
    await access.upsert('ga', { grantId: 'g1' } as never, 3600);
    await refresh.upsert('gr', { grantId: 'g1' } as never, 86400);
    await refresh.upsert('other', { grantId: 'g2' } as never, 86400);
    await access.revokeByGrantId('g1');
    expect(await codes.find('gc')).toBeUndefined();
    expect(await access.find('ga')).toBeUndefined();
    expect(await refresh.find('gr')).toBeUndefined();
    expect(await refresh.find('other')).toBeDefined();
  });

  it('keeps a long-lived token revocable by grant after a shorter-lived one joins the grant', async () => {
    const refresh = services.oidcStore.adapterFor('RefreshToken');
    const codes = services.oidcStore.adapterFor('AuthorizationCode');
    await refresh.upsert('long', { grantId: 'g-order' } as never, 86400);
    await codes.upsert('short', { grantId: 'g-order' } as never, 1);
    await sleep(2100);
    await refresh.revokeByGrantId('g-order');
    expect(await refresh.find('long')).toBeUndefined();
  });

  it('revokes every session, grant and token of an account at once', async () => {
    const sessions = services.oidcStore.adapterFor('Session');
    const grants = services.oidcStore.adapterFor('Grant');
    const refresh = services.oidcStore.adapterFor('RefreshToken');
    await sessions.upsert('sa', { accountId: 'acct-x', uid: 'u-sa' } as never, 600);
    await grants.upsert('grant-x', { accountId: 'acct-x', jti: 'grant-x' } as never, 600);
    await refresh.upsert('rt-x', { accountId: 'acct-x', grantId: 'grant-x' } as never, 600);
    await sessions.upsert('sb', { accountId: 'acct-y', uid: 'u-sb' } as never, 600);
    expect(await services.oidcStore.revokeByAccountId('acct-x')).toBeGreaterThanOrEqual(3);
    expect(await sessions.find('sa')).toBeUndefined();
    expect(await grants.find('grant-x')).toBeUndefined();
    expect(await refresh.find('rt-x')).toBeUndefined();
    expect(await sessions.find('sb')).toBeDefined();
  });

  it('counts failed attempts atomically under concurrency and resets after the window', async () => {
    const limits = services.rateLimits;
    const results = await Promise.all(Array.from({ length: 25 }, () => limits.increment('test:concurrent', 1)));
    expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect((await limits.peek('test:concurrent')).count).toBe(25);
    await sleep(1100);
    expect((await limits.peek('test:concurrent')).count).toBe(0);
    expect((await limits.increment('test:concurrent', 1)).count).toBe(1);
  });

  it('takes reservations back without going below zero or outliving the window', async () => {
    const limits = services.rateLimits;
    await limits.increment('test:refund', 1);
    await limits.increment('test:refund', 1);
    await Promise.all(Array.from({ length: 5 }, () => limits.decrement('test:refund')));
    expect((await limits.peek('test:refund')).count).toBe(0);
    await limits.decrement('test:never-counted');
    expect((await limits.peek('test:never-counted')).count).toBe(0);
    await sleep(1100);
    expect((await limits.increment('test:refund', 1)).count).toBe(1);
  });
});
