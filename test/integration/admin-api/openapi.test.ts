// The OpenAPI 3.1 document served at /admin/api/v1/openapi.json describes exactly the operations the
// router answers (compared with the router's own layer stack), each with the scope it enforces.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adminApiRouter, ADMIN_API_PREFIX } from '../../../src/admin-api/router.js';
import { adminApiRoutes } from '../../../src/admin-api/resources/index.js';
import { openApiPath } from '../../../src/admin-api/openapi.js';
import { backendName } from '../../helpers/backend.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { adminToken, call } from './helpers.js';

describe(`admin API OpenAPI document [${backendName()}]`, () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('lists every operation the router answers, and nothing else', async () => {
    const { token } = await adminToken(server, ['latchkey.audit.read']);
    const answer = await call(server, token, 'GET', '/openapi.json');
    expect(answer.status).toBe(200);
    const document = answer.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe('3.1.0');
    const documented = Object.entries(document.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    // The router as the server builds it: its layers, minus the document itself and HEAD (added for GET).
    const router = adminApiRouter({
      routes: adminApiRoutes({} as never),
      verifier: { verify: async () => undefined },
      audit: server.app.services.audit,
      rateLimits: server.app.services.rateLimits,
      limit: { max: 1, window_seconds: 1 },
      issuer: server.issuer,
      log: server.app.services.log,
    });
    const served = router.stack
      .flatMap((layer) =>
        layer.methods
          .filter((method) => method !== 'HEAD')
          .map((method) => `${method} ${openApiPath(String(layer.path).slice(ADMIN_API_PREFIX.length))}`),
      )
      .filter((operation) => operation !== 'GET /openapi.json')
      .sort();
    expect(documented).toEqual(served);
    expect(documented.length).toBeGreaterThan(40);
  });

  it('names the scope each operation needs, and the scope is the one enforced', async () => {
    const { token } = await adminToken(server, ['latchkey.audit.read'], 'auditor');
    const document = (await call(server, token, 'GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, { security: Array<Record<string, string[]>> }>>;
    };
    const scopeOf = (path: string, method: string) => document.paths[path]![method]!.security[0]!.adminClient![0];
    expect(scopeOf('/users', 'post')).toBe('latchkey.users.manage');
    expect(scopeOf('/audit', 'get')).toBe('latchkey.audit.read');
    // An audit-only token is refused where the document says users.manage is needed.
    expect((await call(server, token, 'POST', '/users', { username: 'x' })).status).toBe(403);
    expect((await call(server, token, 'GET', '/audit?limit=1')).status).toBe(200);
  });

  it('describes request bodies with the schemas the router enforces', async () => {
    const { token } = await adminToken(server, ['latchkey.audit.read'], 'reader');
    const document = (await call(server, token, 'GET', '/openapi.json')).body as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>
      >;
    };
    const schema = document.paths['/users']!.post!.requestBody!.content['application/json']!.schema;
    expect(schema).toMatchObject({ type: 'object', required: ['username'], additionalProperties: false });
  });
});
