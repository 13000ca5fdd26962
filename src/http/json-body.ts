// JSON request bodies for API endpoints (device enrollment and renewal): read with a size cap, parse, and
// validate against a strict schema. Every refusal is a LatchkeyError with a precise code, so a client
// learns exactly which field is unknown, missing or wrong, and nothing reaches the handler half-checked.
import type { Context } from 'koa';
import type { z } from 'zod';
import { InvalidInputError, LatchkeyError } from '../errors.js';

export interface ReadJsonOptions {
  /** Largest body accepted, in bytes. */
  limitBytes: number;
  /** An absent body reads as `{}` (for endpoints whose fields are all optional). */
  optional?: boolean;
}

/** Reads the request body as a JSON object, refusing oversized, non-JSON and non-object bodies. */
export async function readJsonBody(ctx: Context, options: ReadJsonOptions): Promise<Record<string, unknown>> {
  const declared = ctx.request.length;
  if (declared !== undefined && declared > options.limitBytes) throw tooLarge(ctx, options.limitBytes);
  const type = ctx.is('application/json');
  if (type === null) {
    if (options.optional) return {};
    throw new InvalidInputError('ERR_REQUEST_NOT_JSON', 'the request has no body: expected a JSON object');
  }
  if (type === false) {
    throw new LatchkeyError('ERR_REQUEST_CONTENT_TYPE', 'the request body must be application/json', {
      status: 415,
    });
  }
  const encoding = ctx.get('content-encoding').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    throw new LatchkeyError('ERR_REQUEST_CONTENT_TYPE', `the request body must not be encoded (${encoding})`, {
      status: 415,
    });
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(ctx.get('content-type'))?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new LatchkeyError('ERR_REQUEST_CONTENT_TYPE', `JSON is UTF-8: charset=${charset} is not accepted`, {
      status: 415,
    });
  }
  const text = await readText(ctx, options.limitBytes);
  if (text.trim() === '' && options.optional) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidInputError('ERR_REQUEST_NOT_JSON', 'the request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError('ERR_REQUEST_NOT_JSON', 'the request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/**
 * Validates `body` against `schema` (strict objects), reporting the first problem as
 * ERR_REQUEST_UNKNOWN_FIELD, ERR_REQUEST_MISSING_FIELD or ERR_REQUEST_INVALID_FIELD, naming the field.
 */
export function parseRequest<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  // An unknown field is reported first: it is usually a typo of the field that then seems missing.
  const { issues } = result.error;
  const issue = issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? issues[0]!;
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const names = issue.keys.map((key) => `"${[...path, key].join('.')}"`).join(', ');
    throw new InvalidInputError('ERR_REQUEST_UNKNOWN_FIELD', `unknown field ${names}`, { fields: issue.keys });
  }
  const field = path.join('.') || '(body)';
  if (valueAt(body, path) === undefined) {
    throw new InvalidInputError('ERR_REQUEST_MISSING_FIELD', `missing field "${field}"`, { field });
  }
  throw new InvalidInputError('ERR_REQUEST_INVALID_FIELD', `field "${field}": ${issue.message}`, { field });
}

async function readText(ctx: Context, limitBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw tooLarge(ctx, limitBytes);
    chunks.push(chunk as Buffer);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new InvalidInputError('ERR_REQUEST_NOT_JSON', 'the request body is not UTF-8 text');
  }
}

function tooLarge(ctx: Context, limitBytes: number): LatchkeyError {
  // The rest of the body is not read: closing the connection keeps it from being taken as the next request.
  ctx.set('Connection', 'close');
  return new LatchkeyError('ERR_REQUEST_TOO_LARGE', `the request body is larger than ${limitBytes} bytes`, {
    status: 413,
  });
}

function valueAt(body: unknown, path: readonly string[]): unknown {
  let node = body;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
