// Keys and CA: the token signing keys (staged rotation, retirement of keys no longer signing), the device
// CA in use (fingerprints for other verifiers, a new intermediate) and SCEP for MDMs (the RA, static
// challenges shown once). The same administration calls as `latchkey keys|ca|scep` and the admin API.
import { html } from '../views/html.js';
import type { ConsoleDeps, ConsoleRequest } from './deps.js';
import { render } from './render.js';
import type { ConsoleRoutes } from './router.js';
import { actionButton, badge, consolePage, details, table, text, when } from './views/layout.js';

export function keyRoutes(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  routes.get('/keys', (request) => showKeys(request, deps));
  const back = (request: ConsoleRequest, error: string) => showKeys(request, deps, { error });
  routes.post(
    '/keys/rotate',
    async (request) => {
      const { added, signsFrom } = await deps.admin.keys.rotate(request.origin);
      await showKeys(request, deps, {
        notice: `Added ${added.map((k) => `${k.alg} ${k.kid}`).join(' and ')}: every node publishes them now; they sign from ${new Date(signsFrom ?? Date.now()).toISOString()}.`,
      });
    },
    back,
  );
  routes.post(
    '/keys/retire',
    async (request) => {
      const kid = request.form.kid ?? '';
      await deps.admin.keys.retire(kid, request.origin);
      await showKeys(request, deps, { notice: `Key ${kid} was retired: tokens it signed no longer verify.` });
    },
    back,
  );
  routes.post(
    '/ca/rotate-intermediate',
    async (request) => {
      const ca = await deps.devices.rotateIntermediate(request.origin);
      await showKeys(request, deps, {
        notice: `A new intermediate (${ca.intermediate.fingerprintSha256.slice(0, 16)}…) issues from now on; devices move to it at their next renewal.`,
      });
    },
    back,
  );
  routes.post(
    '/scep/static-challenge',
    async (request) => {
      const profile = request.form.profile ?? '';
      const challenge = await deps.scep.rotateStaticChallenge(profile, request.origin);
      await showKeys(request, deps, { notice: `New static challenge for ${profile}.`, secret: challenge });
    },
    back,
  );
  routes.post(
    '/scep/static-challenge/clear',
    async (request) => {
      const profile = request.form.profile ?? '';
      const cleared = await deps.scep.clearStaticChallenge(profile, request.origin);
      await showKeys(request, deps, {
        notice: cleared ? `The static challenge of ${profile} was removed.` : `${profile} had no static challenge.`,
      });
    },
    back,
  );
}

async function showKeys(
  request: ConsoleRequest,
  deps: ConsoleDeps,
  extra: { notice?: string; error?: string; secret?: string } = {},
): Promise<void> {
  const csrf = request.chrome().csrf;
  const [{ keys, nodes }, ca, profiles] = await Promise.all([
    deps.admin.keys.list(),
    deps.devices.showCa(),
    Promise.all(deps.scep.profiles().map(async (p) => ({ ...p, since: await deps.scep.staticChallengeSince(p.name) }))),
  ]);
  const body = html`${
      extra.secret
        ? html`<div class="secret" role="status">
            <p><strong>Static challenge</strong> (shown this once; type it into the MDM profile now):</p>
            <p><code>${extra.secret}</code></p>
          </div>`
        : html``
    }
    <section aria-labelledby="signing-keys">
      <h2 id="signing-keys">Token signing keys</h2>
      <p>${nodes.current} of ${nodes.live} live node(s) publish exactly these keys.</p>
      ${table(
        'Signing keys',
        ['Key id', 'Algorithm', 'State', 'Created', 'Signs from', ''],
        keys.map((k) => [
          html`<code>${k.kid}</code>`,
          text(k.alg),
          badge(k.state ?? k.status),
          when(k.createdAt),
          when(k.activatesAt ?? k.createdAt),
          k.state === 'verifying'
            ? actionButton('/admin/keys/retire', `Retire ${k.kid}`, csrf, { danger: true, hidden: { kid: k.kid } })
            : text(''),
        ]),
      )}
      <p class="muted">
        A rotation publishes new keys in every node's JWKS first; they sign only after the activation delay. Retire the
        previous keys once the tokens they signed have expired.
      </p>
      ${actionButton('/admin/keys/rotate', 'Rotate the signing keys', csrf)}
    </section>
    <section aria-labelledby="device-ca">
      <h2 id="device-ca">Device CA</h2>
      ${
        ca
          ? html`${details([
              ['Root', ca.root.subject],
              ['Root SHA-256', html`<code>${ca.root.fingerprintSha256}</code>`],
              ['Root valid until', when(ca.root.notAfter.getTime())],
              ['Intermediate', ca.intermediate.subject],
              ['Intermediate SHA-256', html`<code>${ca.intermediate.fingerprintSha256}</code>`],
              ['Intermediate valid until', when(ca.intermediate.notAfter.getTime())],
              ['CRL', html`<code>${ca.crlUrl}</code>`],
            ])}
            ${actionButton('/admin/ca/rotate-intermediate', 'Issue a new intermediate', csrf)}`
          : html`<p>
              No device CA yet: create it on a node with <code>latchkey ca init</code> (or <code>ca import</code>).
            </p>`
      }
    </section>
    <section aria-labelledby="scep">
      <h2 id="scep">SCEP profiles</h2>
      ${table(
        'SCEP profiles',
        ['Profile', 'Platform', 'Static challenge', ''],
        profiles.map((p) => [
          text(p.name),
          text(p.platform),
          p.since ? html`set ${when(p.since.getTime())}` : text('none'),
          html`${actionButton('/admin/scep/static-challenge', p.since ? 'Rotate' : 'Create', csrf, {
            hidden: { profile: p.name },
          })}
          ${
            p.since
              ? actionButton('/admin/scep/static-challenge/clear', 'Remove', csrf, {
                  danger: true,
                  hidden: { profile: p.name },
                })
              : html``
          }`,
        ]),
      )}
    </section>`;
  render(request, consolePage({ title: 'Keys and CA', section: 'keys', chrome: request.chrome(extra), body }));
}
