// A person in a browser, driven over HTTP: keeps cookies, follows redirects on the IdP, reads our pages'
// forms and submits them. Stops as soon as a redirect leaves the IdP (the relying party's callback).
import { currentTotp } from '../../src/credentials/totp.js';

export interface Page {
  url: string;
  status: number;
  html: string;
}

export type Landing = { kind: 'callback'; url: URL } | { kind: 'page'; page: Page };

export class HttpUser {
  readonly cookies = new Map<string, string>();
  /** Every URL this user requested, in order (to count round trips and spot loops). */
  readonly visited: string[] = [];
  /**
   * How requests to the device-check listener (the issuer's host on another port) are made: with the
   * device's client certificate (mutual TLS) when the user is on an enrolled device.
   */
  deviceCheckFetch: typeof globalThis.fetch | undefined;

  constructor(
    private readonly fetchImpl: typeof globalThis.fetch,
    private readonly issuer: string,
    private readonly userAgent = 'Mozilla/5.0 (X11; Linux x86_64) LatchkeyTest/1.0',
    /** Sent with every request (e.g. X-Forwarded-For to appear behind a trusted proxy). */
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  /** This user's browser holds a device certificate: the device-check listener gets it over mutual TLS. */
  onDevice(fetchWithCertificate: typeof globalThis.fetch): this {
    this.deviceCheckFetch = fetchWithCertificate;
    return this;
  }

  /** True for the IdP's own listeners: the main one and the device-check one (same host, other port). */
  private isIdp(url: URL): boolean {
    return url.hostname === new URL(this.issuer).hostname;
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(this.extraHeaders)) headers.set(name, value);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    headers.set('user-agent', this.userAgent);
    if (!headers.has('accept')) headers.set('accept', 'text/html');
    this.visited.push(url);
    const onDeviceCheck = new URL(url).origin !== new URL(this.issuer).origin;
    const fetchImpl = onDeviceCheck ? (this.deviceCheckFetch ?? this.fetchImpl) : this.fetchImpl;
    const response = await fetchImpl(url, { ...init, headers, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) this.store(cookie);
    return response;
  }

  private store(setCookie: string): void {
    const [pair = '', ...attributes] = setCookie.split(';');
    const index = pair.indexOf('=');
    const name = pair.slice(0, index).trim();
    const value = pair.slice(index + 1).trim();
    const expired = attributes.some(
      (a) => /^\s*max-age=0/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()),
    );
    if (expired || value === '') this.cookies.delete(name);
    else this.cookies.set(name, value);
  }

  /** GETs `url` and follows redirects within the IdP; returns the first page or the off-IdP redirect. */
  async go(url: string, init: RequestInit = {}): Promise<Landing> {
    let response = await this.request(url, init);
    for (let hops = 0; hops < 20; hops += 1) {
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) {
        return {
          kind: 'page',
          page: { url: response.url || url, status: response.status, html: await response.text() },
        };
      }
      const next = new URL(location, url);
      if (!this.isIdp(next)) return { kind: 'callback', url: next };
      url = next.toString();
      response = await this.request(url);
    }
    throw new Error('too many redirects (a loop?)');
  }

  /** Submits the page's form whose action ends with `suffix`, with `fields` plus its hidden csrf. */
  async submit(page: Page, suffix: string, fields: Record<string, string>): Promise<Landing> {
    const action = formAction(page.html, suffix);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)?.[1] ?? '';
    return this.go(new URL(action, this.issuer).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, ...fields }).toString(),
    });
  }

  /** Signs in from an authorization URL with password (and TOTP when asked); returns where it ended. */
  async signIn(
    authorizationUrl: string,
    credentials: { username: string; password: string; totpSecret?: string },
  ): Promise<Landing> {
    let landing = await this.go(authorizationUrl);
    const hasForm = (html: string, suffix: string) =>
      [...html.matchAll(/<form[^>]*action="([^"]+)"/g)].some((m) => m[1]!.endsWith(suffix));
    for (let steps = 0; steps < 6 && landing.kind === 'page'; steps += 1) {
      const html = landing.page.html;
      if (hasForm(html, '/password')) {
        landing = await this.submit(landing.page, '/password', {
          username: credentials.username,
          password: credentials.password,
        });
      } else if (hasForm(html, '/totp') && credentials.totpSecret) {
        landing = await this.submit(landing.page, '/totp', { otp: currentTotp(credentials.totpSecret, Date.now()) });
      } else if (hasForm(html, '/consent')) {
        landing = await this.submit(landing.page, '/consent', { decision: 'allow' });
      } else {
        return landing;
      }
    }
    return landing;
  }
}

export function formAction(html: string, suffix: string): string {
  const actions = [...html.matchAll(/<form[^>]*action="([^"]+)"/g)].map((m) => m[1]!);
  const action = actions.find((a) => a.endsWith(suffix));
  if (!action) throw new Error(`no form ending in ${suffix} on the page: ${html.slice(0, 400)}`);
  return action.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

export function expectCallback(landing: Landing): URL {
  if (landing.kind !== 'callback')
    throw new Error(
      `expected a redirect to the relying party, got page ${landing.page.status}: ${landing.page.html.slice(0, 600)}`,
    );
  return landing.url;
}
