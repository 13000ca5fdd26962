// The overview: how today went (sign-ins and denials since midnight UTC), the devices by trust level
// (counted by the database), and the device certificates that expire within two weeks (renewal should
// have replaced them by then).
import { html } from '../views/html.js';
import type { ConsoleDeps, ConsoleRequest } from './deps.js';
import type { ConsoleRoutes } from './router.js';
import { render } from './render.js';
import { consolePage, table, text, when } from './views/layout.js';

const EXPIRING_DAYS = 14;
const COUNT_LIMIT = 500;
/** Expiring certificates listed; the overview counts nothing it has to load whole. */
const EXPIRING_SHOWN = 50;

export function overviewRoutes(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  routes.get('/', (request) => showOverview(request, deps));
}

async function showOverview(request: ConsoleRequest, deps: ConsoleDeps): Promise<void> {
  const midnight = new Date();
  midnight.setUTCHours(0, 0, 0, 0);
  const since = midnight.getTime();
  const count = async (event: string, outcome: 'success' | 'deny' | 'failure') => {
    const page = await deps.admin.audit.search({ event, outcome, since, limit: COUNT_LIMIT });
    return page.nextCursor ? `${COUNT_LIMIT}+` : String(page.events.length);
  };
  const soon = new Date(Date.now() + EXPIRING_DAYS * 86_400_000);
  const [signIns, denials, levels, expiring, distribution] = await Promise.all([
    count('login.complete', 'success'),
    count('policy.decision', 'deny'),
    deps.devices.countByTrustLevel(),
    deps.devices.expiringCertificates(soon, EXPIRING_SHOWN + 1),
    deps.devices.distributionEnabled(),
  ]);
  const body = html`<section aria-labelledby="today">
      <h2 id="today">Today (since 00:00 UTC)</h2>
      <ul class="stats">
        <li>
          <a href="/admin/audit?event=login.complete&amp;outcome=success"><strong>${signIns}</strong> sign-ins</a>
        </li>
        <li>
          <a href="/admin/audit?event=policy.decision&amp;outcome=deny"><strong>${denials}</strong> denials</a>
        </li>
      </ul>
    </section>
    <section aria-labelledby="devices">
      <h2 id="devices">Devices by trust level</h2>
      <ul class="stats">
        <li>
          <a href="/admin/devices?trust=trusted"><strong>${levels.trusted}</strong> trusted</a>
        </li>
        <li>
          <a href="/admin/devices?trust=managed"><strong>${levels.managed}</strong> managed</a>
        </li>
        <li>
          <a href="/admin/devices?trust=revoked"><strong>${levels.revoked}</strong> revoked</a>
        </li>
      </ul>
      ${
        distribution
          ? html``
          : html`<p class="error">Certificate distribution is switched off: no device counts as trusted.</p>`
      }
    </section>
    <section aria-labelledby="expiring">
      <h2 id="expiring">Certificates expiring within ${EXPIRING_DAYS} days</h2>
      ${table(
        'Certificates expiring soon',
        ['Serial', 'Device', 'User', 'Expires'],
        expiring
          .slice(0, EXPIRING_SHOWN)
          .map((c) => [
            html`<code>${c.serial}</code>`,
            html`<a href="/admin/devices/${encodeURIComponent(c.deviceId)}">${c.deviceId}</a>`,
            text(c.username ?? c.userId),
            when(c.notAfter),
          ]),
      )}
      ${expiring.length > EXPIRING_SHOWN ? html`<p class="muted">The ${EXPIRING_SHOWN} that expire first.</p>` : html``}
    </section>`;
  render(request, consolePage({ title: 'Overview', section: 'overview', chrome: request.chrome(), body }));
}
