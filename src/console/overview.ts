// The overview: how today went (sign-ins and denials since midnight UTC), the devices by trust level,
// and the device certificates that expire within two weeks (renewal should have replaced them by then).
import { html } from '../views/html.js';
import type { ConsoleDeps, ConsoleRequest } from './deps.js';
import type { ConsoleRoutes } from './router.js';
import { render } from './render.js';
import { consolePage, table, text, when } from './views/layout.js';
import { deviceTrustLevel } from '../store/device-trust.js';

const EXPIRING_DAYS = 14;
const COUNT_LIMIT = 500;

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
  const [signIns, denials, devices, certificates, distribution] = await Promise.all([
    count('login.complete', 'success'),
    count('policy.decision', 'deny'),
    deps.devices.listDevices(),
    deps.devices.listCertificates(),
    deps.devices.distributionEnabled(),
  ]);
  const levels = { trusted: 0, managed: 0, revoked: 0 };
  for (const device of devices) levels[deviceTrustLevel(device)] += 1;
  const now = Date.now();
  const soon = now + EXPIRING_DAYS * 86_400_000;
  const active = new Set(devices.filter((d) => d.status === 'active').map((d) => d.id));
  const owners = new Map(devices.map((d) => [d.id, d.username ?? d.userId]));
  const expiring = certificates
    .filter((c) => c.revokedAt === null && active.has(c.deviceId) && c.notAfter <= soon)
    .sort((a, b) => a.notAfter - b.notAfter);
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
        expiring.map((c) => [
          html`<code>${c.serial}</code>`,
          html`<a href="/admin/devices/${encodeURIComponent(c.deviceId)}">${c.deviceId}</a>`,
          text(owners.get(c.deviceId)),
          when(c.notAfter),
        ]),
      )}
    </section>`;
  render(request, consolePage({ title: 'Overview', section: 'overview', chrome: request.chrome(), body }));
}
