// The admin API's rate limit, counted per caller and per address across the cluster: of many parallel
// requests exactly the limit gets through, the rest get 429 problem details with Retry-After.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { adminToken, call } from './helpers.js';

describe(`admin API rate limit [${backendName()}]`, () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ admin: { api_rate_limit: { max: 25, window_seconds: 600 } } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('lets exactly 25 of 100 parallel requests through and refuses the rest with 429 and Retry-After', async () => {
    const { token } = await adminToken(server, ['latchkey.users.read']);
    const answers = await Promise.all(Array.from({ length: 100 }, () => call(server, token, 'GET', '/users')));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(25);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused).toHaveLength(75);
    expect(refused.every((a) => a.body.code === 'ERR_RATE_LIMITED' && Number(a.headers.get('retry-after')) > 0)).toBe(
      true,
    );
  });
});
