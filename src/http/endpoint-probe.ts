// A bare GET of the authorization endpoint (no parameters at all) is someone checking that it exists:
// Microsoft Entra probes an external authentication method's endpoints this way, and expects 200. Any
// request with parameters is oidc-provider's, errors included.
import type { Middleware } from 'koa';
import { html, page } from '../views/html.js';

export function authorizationEndpointProbe(path = '/auth'): Middleware {
  return async (ctx, next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || ctx.path !== path || ctx.querystring !== '') return next();
    ctx.status = 200;
    ctx.type = 'html';
    ctx.body = page({
      title: 'Sign in through your application',
      body: html`<h1>Sign in through your application</h1>
        <p>
          This is where applications send people to sign in. Open the application you want to use and sign in from
          there.
        </p>`,
    });
  };
}
