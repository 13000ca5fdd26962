// The last resort of a sign-in that failed unexpectedly: when oidc-provider cannot finish the interaction
// itself (its store is down), answer the relying party directly with an OAuth error, from the parameters
// oidc-provider already validated when it created the interaction (redirect_uri, state, response_mode).
// Every request a relying party sent ends at its redirect_uri with a code or an error, never on our page.
import { html, page } from '../views/html.js';

export interface AuthorizationParams {
  redirect_uri?: unknown;
  state?: unknown;
  response_type?: unknown;
  response_mode?: unknown;
}

export type DirectAnswer =
  { kind: 'redirect'; location: string } | { kind: 'form_post'; action: string; html: string } | { kind: 'none' };

/** The error response for `params`, as oidc-provider would have sent it (RFC 6749 §4.1.2.1, RFC 9207 iss). */
export function directErrorAnswer(
  params: AuthorizationParams,
  issuer: string,
  error: string,
  description: string,
): DirectAnswer {
  if (typeof params.redirect_uri !== 'string' || !URL.canParse(params.redirect_uri)) return { kind: 'none' };
  const fields: Record<string, string> = { error, error_description: description, iss: issuer };
  if (typeof params.state === 'string') fields.state = params.state;
  const mode = responseMode(params);
  if (mode === 'form_post') {
    return { kind: 'form_post', action: params.redirect_uri, html: formPostPage(params.redirect_uri, fields) };
  }
  const url = new URL(params.redirect_uri);
  const encoded = new URLSearchParams(fields);
  if (mode === 'fragment') url.hash = encoded.toString();
  else for (const [name, value] of encoded) url.searchParams.set(name, value);
  return { kind: 'redirect', location: url.toString() };
}

function responseMode(params: AuthorizationParams): 'query' | 'fragment' | 'form_post' {
  if (params.response_mode === 'form_post' || params.response_mode === 'fragment') return params.response_mode;
  if (params.response_mode === 'query') return 'query';
  return typeof params.response_type === 'string' && params.response_type.includes('token') ? 'fragment' : 'query';
}

/** A form that posts the fields to the relying party; submitted by /static/form-post.js, or by hand. */
function formPostPage(action: string, fields: Record<string, string>): string {
  return page({
    title: 'Returning to the application',
    body: html`<h1>Returning to the application</h1>
      <form method="post" action="${action}" id="form-post">
        ${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)}
        <button type="submit">Continue</button>
      </form>
      <script src="/static/form-post.js"></script>`,
  });
}
