// Devices and their certificates: the inventory (filter by user or trust level), one device's posture
// and certificates, and revocation with an RFC 5280 reason, of the whole device or of one certificate.
// Revocation is database state: Latchkey's own checks refuse the device at once; the CRL follows.
import { LatchkeyError } from '../errors.js';
import { REVOCATION_REASONS } from '../trust/index.js';
import { INVENTORY_TRUST_LEVELS, inventoryTrustLevel } from '../store/device-trust.js';
import type { Page } from '../store/pages.js';
import type { DeviceDetails, DeviceListing } from '../trust/service/index.js';
import { html, type SafeHtml } from '../views/html.js';
import type { ConsoleDeps, ConsoleRequest } from './deps.js';
import { queryValue, render } from './render.js';
import type { ConsoleRoutes } from './router.js';
import {
  actionButton,
  badge,
  consolePage,
  csrfField,
  details,
  field,
  pager,
  select,
  table,
  text,
  when,
} from './views/layout.js';

const REASON_LABELS: Record<string, string> = {
  cessationOfOperation: 'No longer used (cessationOfOperation)',
  keyCompromise: 'Key compromised, lost or stolen (keyCompromise)',
  affiliationChanged: 'Owner left or changed role (affiliationChanged)',
  superseded: 'Replaced (superseded)',
  privilegeWithdrawn: 'Access withdrawn (privilegeWithdrawn)',
  certificateHold: 'On hold (certificateHold)',
  unspecified: 'Unspecified',
};

function reasonSelect(id: string, selected = 'cessationOfOperation'): SafeHtml {
  return select(
    'reason',
    'Reason',
    REVOCATION_REASONS.map((r) => [r, REASON_LABELS[r] ?? r] as const),
    selected,
    id,
  );
}

export function deviceRoutes(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  routes.get('/devices', (request) => showDevices(request, deps));
  routes.get('/devices/:id', (request) => showDevice(request, deps, deviceId(request)));
  routes.post(
    '/devices/:id/revoke',
    async (request) => {
      const id = deviceId(request);
      const count = await deps.devices.revokeDevice(id, { reason: request.form.reason ?? '', ...request.origin });
      await showDevice(request, deps, id, {
        notice: `The device was revoked (${request.form.reason}); ${count} certificate(s) revoked with it.`,
      });
    },
    (request, error) => showDevice(request, deps, deviceId(request), { error }),
  );
  routes.post(
    '/devices/:id/renew-now',
    async (request) => {
      const id = deviceId(request);
      const from = await deps.devices.renewNow(id, request.origin);
      await showDevice(request, deps, id, {
        notice: `The device may renew its certificate from ${from.toISOString()}, at its agent's next run.`,
      });
    },
    (request, error) => showDevice(request, deps, deviceId(request), { error }),
  );
  routes.post(
    '/devices/distribution',
    async (request) => {
      const on = request.form.enabled === 'on';
      await deps.devices.setDistribution(on, request.origin);
      await showDevices(
        request,
        deps,
        on
          ? 'Certificate distribution is on: devices are trusted again and may enroll and renew.'
          : 'Certificate distribution is off: every device counts as unmanaged, enrollment and renewal are refused.',
      );
    },
    (request, error) => showDevices(request, deps, undefined, error),
  );
  routes.post(
    '/certificates/:serial/revoke',
    async (request) => {
      const serial = String(request.ctx.params.serial ?? '');
      await deps.devices.revokeCertificate(serial, { reason: request.form.reason ?? '', ...request.origin });
      await showDevice(request, deps, request.form.device ?? '', {
        notice: `Certificate ${serial} was revoked (${request.form.reason}).`,
      });
    },
    (request, error) => showDevice(request, deps, request.form.device ?? '', { error }),
  );
}

function deviceId(request: ConsoleRequest): string {
  return String(request.ctx.params.id ?? '');
}

async function showDevices(
  request: ConsoleRequest,
  deps: ConsoleDeps,
  notice?: string,
  refused?: string,
): Promise<void> {
  const user = queryValue(request, 'user');
  const trust = queryValue(request, 'trust');
  const after = queryValue(request, 'after');
  let page: Page<DeviceListing> = { items: [] };
  let error = refused;
  const distribution = await deps.devices.distributionEnabled();
  try {
    page = await deps.devices.devicesPage(
      { username: user || undefined, trust: INVENTORY_TRUST_LEVELS.find((level) => level === trust) },
      { after: after || undefined },
    );
  } catch (failure) {
    if (!(failure instanceof LatchkeyError)) throw failure;
    error ??= failure.message;
    request.ctx.status = failure.status;
  }
  const body = html`<form method="get" action="/admin/devices" class="filters" role="search">
      ${field('user', 'User', { value: user })}
      ${select(
        'trust',
        'Trust level',
        [
          ['', 'Any'],
          ['trusted', 'Trusted'],
          ['managed', 'Managed'],
          ['revoked', 'Revoked'],
        ],
        trust,
      )}
      <button type="submit" class="small">Filter</button>
    </form>
    ${table(
      'Devices',
      ['Device', 'User', 'Platform', 'Trust', 'Enrolled', 'Last seen'],
      page.items.map((d) => [
        html`<a href="/admin/devices/${encodeURIComponent(d.id)}">${d.hostname ?? d.id}</a>`,
        text(d.username),
        text([d.platform, d.osVersion].filter(Boolean).join(' ')),
        badge(inventoryTrustLevel(d)),
        when(d.enrolledAt),
        when(d.lastSeenAt),
      ]),
    )}
    ${pager('Device pages', '/admin/devices', { user, trust, after }, 'after', page.nextCursor, {
      first: 'Newest',
      next: 'Older devices →',
    })}
    <p class="muted">
      Enroll a device from its user's page: create an enrollment token, then run <code>latchkey-agent enroll</code> on
      the device.
    </p>
    <section aria-labelledby="distribution">
      <h2 id="distribution">Certificate distribution</h2>
      <p>
        Distribution is <strong>${distribution ? 'on' : 'off'}</strong>.
        ${
          distribution
            ? 'Turning it off makes every device unmanaged at once and refuses enrollment and renewal (a kill switch). It ends this console session too, since the console needs a trusted device: turn distribution on again with latchkey devices distribution on or the admin API (PUT /admin/api/v1/distribution).'
            : 'Devices count as unmanaged until it is turned on again.'
        }
      </p>
      ${actionButton(
        '/admin/devices/distribution',
        distribution ? 'Turn distribution off' : 'Turn distribution on',
        request.chrome().csrf,
        { danger: distribution, hidden: { enabled: distribution ? 'off' : 'on' } },
      )}
    </section>`;
  render(
    request,
    consolePage({ title: 'Devices', section: 'devices', chrome: request.chrome({ error, notice }), body }),
  );
}

async function showDevice(
  request: ConsoleRequest,
  deps: ConsoleDeps,
  id: string,
  extra: { notice?: string; error?: string } = {},
): Promise<void> {
  let device: DeviceDetails;
  try {
    device = await deps.devices.device(id);
  } catch (failure) {
    if (!(failure instanceof LatchkeyError) || failure.code !== 'ERR_DEVICE_NOT_FOUND') throw failure;
    const chrome = request.chrome({ error: extra.error ?? `There is no device "${id}".` });
    return render(request, consolePage({ title: 'No such device', section: 'devices', chrome, body: html`` }), 404);
  }
  const csrf = request.chrome().csrf;
  const now = Date.now();
  const body = html`<p><a href="/admin/devices">← All devices</a></p>
    ${details([
      ['Device id', html`<code>${device.id}</code>`],
      ['Host name', text(device.hostname)],
      [
        'User',
        device.username
          ? html`<a href="/admin/users/${encodeURIComponent(device.username)}">${device.username}</a>`
          : text(device.userId),
      ],
      ['Platform', text([device.platform, device.osVersion].filter(Boolean).join(' '))],
      ['Managed', device.managed ? 'yes' : 'no'],
      ['Integrity', device.integrity],
      ['Trust', badge(inventoryTrustLevel(device))],
      ['Enrolled', when(device.enrolledAt)],
      ['Last seen', when(device.lastSeenAt)],
      ...(device.revokedAt
        ? ([['Revoked', html`${when(device.revokedAt)} (${device.revokedReason ?? ''})`]] as const)
        : []),
    ])}
    <h2>Certificates</h2>
    ${table(
      `Certificates of ${device.hostname ?? device.id}`,
      ['Serial', 'Valid until', 'State', ''],
      device.certificates.map((c) => [
        html`<code>${c.serial}</code>`,
        when(c.notAfter),
        badge(c.revokedAt ? 'revoked' : c.notAfter < now ? 'expired' : 'valid'),
        c.revokedAt
          ? text(c.revocationReason)
          : html`<form method="post" action="/admin/certificates/${encodeURIComponent(c.serial)}/revoke" class="inline">
              ${csrfField(csrf)}
              <input type="hidden" name="device" value="${device.id}" />
              ${reasonSelect(`reason-${c.serial}`, 'superseded')}
              <button type="submit" class="danger small">Revoke certificate</button>
            </form>`,
      ]),
    )}
    ${
      device.status === 'active'
        ? html`<section aria-labelledby="revoke">
              <h2 id="revoke">Revoke this device</h2>
              <p class="muted">Revokes the device and every certificate it holds; sign-ins from it stop at once.</p>
              <form method="post" action="/admin/devices/${encodeURIComponent(device.id)}/revoke" class="stacked">
                ${csrfField(csrf)} ${reasonSelect('reason-device')}
                <button type="submit" class="danger">Revoke device</button>
              </form>
            </section>
            <section aria-labelledby="renew">
              <h2 id="renew">Renew now</h2>
              <p class="muted">
                Lets the device renew its certificate at its agent's next run, before its renewal window.
              </p>
              ${actionButton(`/admin/devices/${encodeURIComponent(device.id)}/renew-now`, 'Allow renewal now', csrf)}
            </section>`
        : html``
    }`;
  render(
    request,
    consolePage({
      title: `Device ${device.hostname ?? device.id}`,
      section: 'devices',
      chrome: request.chrome(extra),
      body,
    }),
  );
}
