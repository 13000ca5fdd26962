// The metrics' pure parts: which audit events count where, bounded labels, SQL operations, the bearer
// check and its 401 (logged, never with the token), and the settings that refuse a weak token.
import { describe, expect, it } from '@jest/globals';
import Koa from 'koa';
import { loadConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';
import { bearerMatches, metricsEndpoint } from '../../../src/metrics/endpoint.js';
import { countAuditEvent } from '../../../src/metrics/events.js';
import { BoundedLabel, LatchkeyMetrics } from '../../../src/metrics/registry.js';
import { sqlOperation } from '../../../src/metrics/stores.js';
import type { Logger } from '../../../src/log.js';

const TOKEN = 'a'.repeat(40);

async function value(metrics: LatchkeyMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const found = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return found?.value ?? 0;
}

describe('metrics from audit events', () => {
  it('counts enrollments and renewals by channel, outcome and refusal code', async () => {
    const metrics = new LatchkeyMetrics();
    countAuditEvent(metrics, { event: 'device.enroll', outcome: 'success' });
    countAuditEvent(metrics, { event: 'device.renew', outcome: 'failure', reasons: ['ERR_RENEWAL_NOT_DUE'] });
    countAuditEvent(metrics, { event: 'scep.enroll', outcome: 'failure', reasons: ['a message, not a code'] });
    countAuditEvent(metrics, { event: 'scep.renew', outcome: 'success' });
    countAuditEvent(metrics, { event: 'admin.user.add', outcome: 'success' });
    const enrollments = 'latchkey_device_enrollments_total';
    const renewals = 'latchkey_device_renewals_total';
    expect(await value(metrics, enrollments, { channel: 'agent', outcome: 'success', code: 'none' })).toBe(1);
    expect(await value(metrics, enrollments, { channel: 'scep', outcome: 'failure', code: 'other' })).toBe(1);
    expect(await value(metrics, renewals, { channel: 'agent', code: 'ERR_RENEWAL_NOT_DUE' })).toBe(1);
    expect(await value(metrics, renewals, { channel: 'scep', outcome: 'success' })).toBe(1);
  });

  it('labels sign-ins by client and error, and decisions by the engine outcome', async () => {
    const metrics = new LatchkeyMetrics();
    countAuditEvent(metrics, {
      event: 'login.complete',
      outcome: 'failure',
      clientId: 'portal',
      detail: { error: 'access_denied' },
    });
    countAuditEvent(metrics, { event: 'policy.decision', outcome: 'allow', detail: { outcome: 'pending_user' } });
    expect(
      await value(metrics, 'latchkey_sign_ins_total', { client: 'portal', outcome: 'failure', error: 'access_denied' }),
    ).toBe(1);
    expect(await value(metrics, 'latchkey_policy_decisions_total', { outcome: 'pending_user', basis: 'other' })).toBe(
      1,
    );
  });
});

describe('labels', () => {
  it('keeps the first values of an outside label and counts the rest as other', () => {
    const label = new BoundedLabel(2);
    expect([label.value('a'), label.value('b'), label.value('c'), label.value('a'), label.value(null)]).toEqual([
      'a',
      'b',
      'other',
      'a',
      'other',
    ]);
  });

  it('names the operation of a query by its builder method or SQL verb', () => {
    expect(sqlOperation({ method: 'first' })).toBe('select');
    expect(sqlOperation({ method: 'del' })).toBe('delete');
    expect(sqlOperation({ method: 'raw', sql: '  UPDATE x SET y = 1' })).toBe('update');
    expect(sqlOperation({ method: 'raw', sql: 'vacuum' })).toBe('other');
  });
});

describe('the /metrics endpoint', () => {
  it('matches only the exact bearer token', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    for (const header of [undefined, '', TOKEN, `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`]) {
      expect(bearerMatches(header, TOKEN)).toBe(false);
    }
  });

  it('answers a wrong token with 401 and logs the refusal without the token', async () => {
    const logged: unknown[][] = [];
    const log = { warn: (...args: unknown[]) => logged.push(args) } as unknown as Logger;
    const app = new Koa().use(metricsEndpoint(new LatchkeyMetrics(), TOKEN, log));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as { port: number };
      const refused = await fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { authorization: 'Bearer guessed-token' },
      });
      expect(refused.status).toBe(401);
      expect(logged).toHaveLength(1);
      expect(JSON.stringify(logged)).toContain('wrong token');
      expect(JSON.stringify(logged)).not.toContain('guessed-token');
      const allowed = await fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toContain('nodejs_eventloop_lag_seconds');
    } finally {
      // fetch keeps its connection alive: end it, or the server (and this worker) would wait for it.
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('metrics settings', () => {
  const problem = (overrides: Record<string, unknown>, env: Record<string, string> = {}): string => {
    try {
      loadConfig({ env, overrides });
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    throw new Error('expected a ConfigError');
  };

  it('is off by default', () => {
    expect(loadConfig({ env: {} }).metrics).toEqual({ token: null, port: null, host: '127.0.0.1' });
  });

  it('refuses a short token without repeating it', () => {
    const message = problem({}, { LATCHKEY_METRICS_TOKEN: 'hunter2' });
    expect(message).toContain('metrics.token (LATCHKEY_METRICS_TOKEN) must be at least 32 characters');
    expect(message).not.toContain('hunter2');
  });

  it('takes the token and the port from the environment', () => {
    const config = loadConfig({ env: { LATCHKEY_METRICS_TOKEN: TOKEN, LATCHKEY_METRICS_PORT: '9464' } });
    expect(config.metrics).toMatchObject({ token: TOKEN, port: 9464 });
  });

  it('refuses a metrics port that another listener has', () => {
    expect(problem({ metrics: { port: 8443 } })).toContain(
      'metrics.port = 8443 is the same port as server.port: the metrics listener needs a port of its own',
    );
  });
});
