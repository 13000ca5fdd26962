// What-if: describe a sign-in (application, user, address, device, what the session already proved) and
// see what it would end with, and every policy's verdict, the built-in rules' included. It runs the
// sign-in's own evaluation (admin/what-if.ts) and writes nothing. With a draft carried from the policy
// editor, it runs against that draft instead of the set in force.
import type { WhatIfOptions, WhatIfResult } from '../admin/what-if.js';
import { describeReason, renderPrediction } from '../admin/what-if.js';
import { namedBy } from '../admin/option-names.js';
import {
  ACCOUNT_CLIENT_ID,
  AUTH_METHODS,
  CONSOLE_CLIENT_ID,
  DEVICE_TRUST_LEVELS,
  PLATFORMS,
  formatRequirement,
  verdictLabel,
} from '../policies/index.js';
import { html, type SafeHtml } from '../views/html.js';
import type { ConsoleDeps, ConsoleRequest } from './deps.js';
import { render } from './render.js';
import type { ConsoleRoutes } from './router.js';
import { consolePage, csrfField, field, select, table, text } from './views/layout.js';

export function whatIfRoutes(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  routes.get('/what-if', (request) => showWhatIf(request, deps));
  routes.post(
    '/what-if',
    async (request) => {
      const draft = request.form.draft || undefined;
      const result = await deps.whatIf(optionsFrom(request), draft ? deps.admin.policies.parse(draft) : undefined);
      await showWhatIf(request, deps, { draft, result });
    },
    (request, error) => showWhatIf(request, deps, { draft: request.form.draft || undefined, error }),
  );
}

/** The form's fields as what-if options (validated by admin/what-if.ts, which names a bad field). */
function optionsFrom(request: ConsoleRequest): WhatIfOptions {
  const f = request.form;
  const raw = (request.ctx.request.body as Record<string, unknown>).methods;
  const methods = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(
    (m): m is string => typeof m === 'string',
  );
  const groups = (f.group ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  return {
    client: f.client ?? '',
    user: f.user?.trim() || undefined,
    group: groups.length ? groups : undefined,
    ip: (f.ip ?? '').trim(),
    country: f.country?.trim() || undefined,
    deviceTrust: f.device_trust || undefined,
    platform: f.platform || undefined,
    osVersion: f.os_version?.trim() || undefined,
    methods: methods.length ? methods.join(',') : undefined,
    methodsAge: (f.methods_age ?? '').trim() || '0',
    acrValues: f.acr_values?.trim() || undefined,
    optionNames: FORM_LABELS,
  };
}

/** The what-if options as this page's form labels them, for refusals. */
const FORM_LABELS = namedBy({
  user: '"User"',
  group: '"Extra groups"',
  ip: '"IP address"',
  country: '"Country"',
  deviceTrust: '"Device"',
  platform: '"Platform"',
  methods: '"Already proved in the session"',
  methodsAge: '"Proved how many seconds ago"',
});

export async function showWhatIf(
  request: ConsoleRequest,
  deps: ConsoleDeps,
  state: { draft?: string; result?: WhatIfResult; notice?: string; error?: string } = {},
): Promise<void> {
  const clients = await deps.admin.clients.list();
  const f = request.ctx.method === 'POST' && request.form.client ? request.form : {};
  const raw = (request.ctx.request.body as Record<string, unknown> | undefined)?.methods;
  const checked = new Set(Array.isArray(raw) ? raw : raw ? [raw] : []);
  const clientChoices: Array<readonly [string, string]> = [
    ...clients.filter((c) => c.kind !== 'admin').map((c) => [c.clientId, `${c.name} (${c.clientId})`] as const),
  ];
  if (!clients.some((c) => c.clientId === ACCOUNT_CLIENT_ID))
    clientChoices.push([ACCOUNT_CLIENT_ID, 'Latchkey account']);
  if (!clients.some((c) => c.clientId === CONSOLE_CLIENT_ID))
    clientChoices.push([CONSOLE_CLIENT_ID, 'Latchkey admin console']);
  const body = html`${
      state.draft
        ? html`<p class="notice">Running against the <strong>unpublished draft</strong> from the policy editor.</p>`
        : html``
    }
    <form method="post" action="/admin/what-if" class="stacked whatif">
      ${csrfField(request.chrome().csrf)}
      ${state.draft ? html`<input type="hidden" name="draft" value="${state.draft}" />` : html``}
      <div class="grid">
        ${select('client', 'Application', clientChoices, f.client)}
        ${field('user', 'User (optional)', { value: f.user, hint: 'Username or email; empty: before anyone is identified.' })}
        ${field('group', 'Extra groups (comma-separated)', { value: f.group })}
        ${field('ip', 'IP address', { value: f.ip ?? request.ctx.ip, required: true })}
        ${field('country', 'Country (ISO code or "unknown")', { value: f.country })}
        ${select(
          'device_trust',
          'Device',
          DEVICE_TRUST_LEVELS.map(
            (level) => [level, level === 'unmanaged' ? 'unmanaged (no device proven)' : level] as const,
          ),
          f.device_trust ?? 'unmanaged',
        )}
        ${select('platform', 'Platform', [['', 'from the user agent'], ...PLATFORMS.map((p) => [p, p] as const)], f.platform)}
        ${field('os_version', 'OS version', { value: f.os_version })}
        ${field('acr_values', 'acr_values (optional)', { value: f.acr_values })}
        ${field('methods_age', 'Proved how many seconds ago', { value: f.methods_age ?? '0', type: 'number' })}
      </div>
      <fieldset>
        <legend>Already proved in the session</legend>
        ${AUTH_METHODS.map(
          (m) =>
            html`<label class="check"
              ><input type="checkbox" name="methods" value="${m}" ${checked.has(m) ? html`checked` : html``} />
              ${m.replace(/_/g, ' ')}</label
            >`,
        )}
      </fieldset>
      <button type="submit">Run what-if</button>
    </form>
    ${state.result ? resultView(state.result) : html``}`;
  render(
    request,
    consolePage({
      title: state.draft ? 'What-if (draft)' : 'What-if',
      section: 'what-if',
      chrome: request.chrome({ notice: state.notice, error: state.error }),
      body,
    }),
  );
}

function resultView(result: WhatIfResult): SafeHtml {
  const { prediction, decision } = result;
  const headline =
    prediction.outcome === 'allow'
      ? 'ALLOW'
      : prediction.outcome === 'deny'
        ? `DENY (${prediction.error})`
        : `NEEDS ${prediction.next.method.replace(/_/g, ' ')}`;
  return html`<section aria-labelledby="result" class="result">
    <h2 id="result">
      Prediction: <span class="${prediction.outcome === 'deny' ? 'badge bad' : 'badge'}">${headline}</span>
    </h2>
    ${
      prediction.outcome === 'deny'
        ? html`<p><strong>The person reads:</strong> ${prediction.message}</p>
            <p><strong>Why:</strong> ${prediction.reason}</p>`
        : prediction.outcome === 'needs'
          ? html`<p><strong>Asked because:</strong> ${describeReason(prediction.next.because)}</p>`
          : html``
    }
    ${
      prediction.steps.length
        ? html`<ol class="steps">
            ${prediction.steps.map(
              (s) =>
                html`<li>
                  ${s.method.replace(/_/g, ' ')}:
                  ${describeReason(s.because)}${
                    s.result === 'proved' ? html`` : html` — nothing proven: ${s.detail ?? ''}`
                  }
                </li>`,
            )}
          </ol>`
        : html``
    }
    <p>
      <strong>Decision:</strong> ${decision.outcome.toUpperCase()} (${decision.basis.replace(/_/g, ' ')}):
      ${decision.reason}
    </p>
    ${
      decision.outcome !== 'deny'
        ? html`<p>
            <strong>Requires:</strong> ${formatRequirement(decision.requirement)};
            <strong>still unmet:</strong> ${decision.unmet.length ? formatRequirement(decision.unmet) : 'nothing'}
          </p>`
        : html``
    }
    <h3>Every policy's verdict</h3>
    ${table(
      'Every policy verdict',
      ['Policy', 'State', 'Verdict', 'Requires', 'Reasons'],
      decision.verdicts.map((v) => [
        html`<strong>${v.policy}</strong>`,
        text(v.state),
        html`<span class="${v.verdict === 'deny' ? 'badge bad' : 'badge'}">${verdictLabel(v)}</span>`,
        text(v.verdict === 'allow' ? formatRequirement(v.requirement) : ''),
        text(v.reasons.join('; ')),
      ]),
    )}
    <details>
      <summary>As text (what <code>latchkey policy what-if</code> prints)</summary>
      <pre>${renderPrediction(prediction)}</pre>
    </details>
  </section>`;
}
