// One admin API operation, declared once: method, path, the scope it needs, its request schemas and its
// handler. The router registers these and the OpenAPI document is generated from the same table, so the
// document cannot describe a route that does not exist or miss one that does.
import type { Context } from 'koa';
import { z } from 'zod';
import type { AdminOrigin } from '../admin/context.js';
import type { AdminApiScope } from '../admin/scopes.js';
import { MAX_PAGE_SIZE, type Page } from '../store/pages.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteInput<B, Q> {
  params: Record<string, string>;
  body: B;
  query: Q;
  /** The caller, for the audit record of any change. */
  origin: AdminOrigin;
  ctx: Context;
}

export interface ApiRoute<B = unknown, Q = unknown> {
  method: HttpMethod;
  /** Koa path below /admin/api/v1, e.g. /users/:username. */
  path: string;
  scope: AdminApiScope;
  /** Groups operations in the OpenAPI document (users, groups, clients, ...). */
  tag: string;
  summary: string;
  /** A strict object schema for the JSON body; none: the request has no body. */
  body?: z.ZodType<B>;
  /** A strict object schema for the query string (values arrive as strings). */
  query?: z.ZodType<Q>;
  /** Status of a success: 200 (default), 201 created, 204 nothing to return. */
  status?: 200 | 201 | 204;
  /** Largest body accepted (default 64 KiB). */
  limitBytes?: number;
  handle(input: RouteInput<B, Q>): Promise<unknown>;
}

/** Declares a route (keeps the body and query types of the handler tied to the schemas). */
export function route<B = undefined, Q = Record<string, never>>(definition: ApiRoute<B, Q>): ApiRoute {
  return definition as unknown as ApiRoute;
}

const SINGLE_LINE = /^[^\u0000-\u001f\u007f]*$/;

/** A one-line string field: never empty, bounded, no control characters. */
export const text = (max = 256) =>
  z.string().min(1).max(max).regex(SINGLE_LINE, 'must be one line without control characters');
/** An optional one-line string field that null clears. */
export const clearable = (max = 256) =>
  z.string().max(max).regex(SINGLE_LINE, 'must be one line without control characters').nullable().optional();
/** A whole number in a query string. */
export const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be from ${min} to ${max}`);

/** The query fields of a paged list: `limit`, and `after` (the previous page's nextCursor). */
export const pageQuery = {
  limit: queryInt(1, MAX_PAGE_SIZE).optional(),
  after: text(1400).optional(),
};

/** A page as the API answers it: the items under `name`, and nextCursor unless it is the last page. */
export function pageBody<T>(name: string, page: Page<T>): Record<string, unknown> {
  return { [name]: page.items, ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) };
}
