// The OpenAPI 3.1 document of the admin API, generated from the route table (the schemas are the zod
// schemas the router parses with, as JSON Schema 2020-12), served at /admin/api/v1/openapi.json.
import { z } from 'zod';
import { ADMIN_API_SCOPES } from '../admin/scopes.js';
import type { ApiRoute } from './route.js';

const PROBLEM = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', description: 'urn:latchkey:error:<code>' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', description: 'stable error code, the same as the CLI reports' },
    issues: { type: 'array', description: 'policy problems with line and column (policy operations)' },
    field: { type: 'string', description: 'the request field that was refused' },
  },
};

/** `/users/:username` → `/users/{username}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

export function openApiDocument(routes: readonly ApiRoute[], issuer: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    const parameters = [
      ...[...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      })),
      ...queryParameters(route.query),
    ];
    const status = String(route.status ?? 200);
    (paths[path] ??= {})[route.method] = {
      operationId: operationId(route),
      tags: [route.tag],
      summary: route.summary,
      security: [{ adminClient: [route.scope] }, { apiToken: [route.scope] }],
      ...(parameters.length ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
            },
          }
        : {}),
      responses: {
        [status]:
          status === '204'
            ? { description: 'done' }
            : { description: 'success', content: { 'application/json': { schema: {} } } },
        default: {
          description: 'an error',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Latchkey admin API',
      version: '1',
      description:
        'Everything the latchkey CLI does, for automation. Authenticate with an access token from the client-credentials grant of an admin client (latchkey clients add-admin), or a break-glass API token. Errors are RFC 9457 problem details.',
    },
    servers: [{ url: `${issuer}/admin/api/v1` }],
    paths,
    components: {
      schemas: { Problem: PROBLEM },
      securitySchemes: {
        adminClient: {
          type: 'oauth2',
          flows: { clientCredentials: { tokenUrl: `${issuer}/token`, scopes: { ...ADMIN_API_SCOPES } } },
        },
        apiToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'a break-glass token from latchkey api-tokens create',
        },
      },
    },
  };
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

function queryParameters(query: z.ZodType | undefined) {
  if (!query) return [];
  const schema = jsonSchema(query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    schema: property,
  }));
}

/** `post /users/:username/totp` → `postUsersUsernameTotp`. */
function operationId(route: ApiRoute): string {
  const words = route.path.split(/[/:-]+/).filter(Boolean);
  return route.method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}
