// Latchkey's own static files (stylesheet, the small scripts pages use), read once at start from a fixed
// list and served with a content type and a cache lifetime. Nothing outside the list is ever served.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Middleware } from 'koa';

const TYPES: Record<string, string> = { '.css': 'text/css', '.js': 'text/javascript' };

/** Serves each `/static/<name>` of `files` (name → absolute path) from memory. */
export function staticFiles(files: Record<string, string>): Middleware {
  const served = new Map(
    Object.entries(files).map(([name, file]) => [
      `/static/${name}`,
      { body: readFileSync(file), type: TYPES[path.extname(name)] ?? 'application/octet-stream' },
    ]),
  );
  return async (ctx, next) => {
    const file = ctx.method === 'GET' || ctx.method === 'HEAD' ? served.get(ctx.path) : undefined;
    if (!file) return next();
    ctx.type = file.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = file.body;
  };
}
