// Policies: the set in force with each policy's state (switch one between enabled, report-only and
// disabled), and an editor that publishes a new set only if it parses: every problem is shown inline at
// its line and column and nothing is saved. The editor starts from a version, so two administrators do
// not overwrite each other unseen; a draft that parses can be previewed with the what-if first.
import { describeRollout } from '../admin/policies.js';
import type { PolicyFileIssue, PolicySet } from '../policies/index.js';
import { POLICY_STATES } from '../policies/index.js';
import { html } from '../views/html.js';
import type { ConsoleDeps, ConsoleRequest } from './deps.js';
import { render } from './render.js';
import type { ConsoleRoutes } from './router.js';
import { consolePage, csrfField, details, select, table, text, when } from './views/layout.js';
import { showWhatIf } from './what-if.js';

interface EditorState {
  notice?: string;
  error?: string;
  /** The draft being edited (kept after an error), and the version the edit started from. */
  draft?: string;
  startedFrom?: number;
  issues?: readonly PolicyFileIssue[];
}

export function policyRoutes(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  routes.get('/policies', (request) => showPolicies(request, deps));
  routes.post(
    '/policies',
    async (request) => {
      const draft = request.form.text ?? '';
      const startedFrom = Number(request.form.version);
      const checked = deps.admin.policies.check(draft);
      if (!checked.ok) {
        const issues = checked.issues;
        const error = `The draft has ${issues.length === 1 ? '1 problem' : `${issues.length} problems`}: nothing was saved.`;
        request.ctx.status = 400;
        return showPolicies(request, deps, { error, draft, startedFrom, issues });
      }
      if (request.form.action === 'preview') {
        return showWhatIf(request, deps, {
          draft,
          notice: `The draft parses (${checked.summary}). It is not published: the what-if below runs against it.`,
        });
      }
      const expectedVersion = Number.isInteger(startedFrom) ? startedFrom : undefined;
      const published = await deps.admin.policies.publish(draft, request.origin, { expectedVersion });
      await showPolicies(request, deps, {
        notice: published.changed
          ? `Version ${published.version} is in force (${published.policies} policies), ${describeRollout(published.rollout)}.`
          : `Version ${published.version} already has this text: nothing changed.`,
      });
    },
    (request, error) =>
      showPolicies(request, deps, { error, draft: request.form.text, startedFrom: Number(request.form.version) }),
  );
  routes.post(
    '/policies/state',
    async (request) => {
      const { name = '', state = '' } = request.form;
      const published = await deps.admin.policies.setState(name, state, request.origin);
      await showPolicies(request, deps, {
        notice: `Policy ${name} is now ${state} (version ${published.version}, ${describeRollout(published.rollout)}).`,
      });
    },
    (request, error) => showPolicies(request, deps, { error }),
  );
}

async function showPolicies(request: ConsoleRequest, deps: ConsoleDeps, state: EditorState = {}): Promise<void> {
  const current = await deps.admin.policies.current();
  const parsed = deps.admin.policies.check(current.text);
  const inForce: PolicySet | undefined = parsed.ok ? parsed.policySet : undefined;
  const csrf = request.chrome().csrf;
  const issues = state.issues ?? [];
  const startedFrom = Number.isInteger(state.startedFrom) ? state.startedFrom! : current.version;
  const body = html`${details([
      ['Version', current.version === 0 ? '0 (the built-in set: nothing published yet)' : String(current.version)],
      ['Source', current.source],
      [
        'Published',
        current.publishedAt ? html`${when(current.publishedAt)} by ${current.publishedBy ?? '?'}` : text(null),
      ],
      ['Summary', parsed.ok ? parsed.summary : 'the set in force does not parse'],
    ])}
    <p class="muted">
      Built in, whatever this file says: the admin console admits only members of
      <strong>${deps.adminGroup}</strong> with a device proof; the account page stays reachable from unmanaged devices
      with the user's strongest second factor.
    </p>
    <h2>Policies in force</h2>
    ${table(
      'Policies in force',
      ['Policy', 'Description', 'Outcome', 'State'],
      (inForce?.policies ?? []).map((p) => [
        html`<strong>${p.name}</strong>`,
        text(p.description),
        text(
          p.outcome === 'allow' && p.requirementText !== 'nothing' ? `allow, requires ${p.requirementText}` : p.outcome,
        ),
        html`<form method="post" action="/admin/policies/state" class="inline state">
          ${csrfField(csrf)}
          <input type="hidden" name="name" value="${p.name}" />
          ${select(
            'state',
            `State of ${p.name}`,
            POLICY_STATES.map((s) => [s, s] as const),
            p.state,
            `state-${p.name}`,
          )}
          <button type="submit" class="secondary small">Apply</button>
        </form>`,
      ]),
    )}
    <section aria-labelledby="editor">
      <h2 id="editor">Edit the policy set</h2>
      ${
        issues.length
          ? html`<ul class="issues" id="draft-issues" aria-label="Problems in the draft">
              ${issues.map(
                (issue) =>
                  html`<li>
                    <strong>line ${issue.line}:${issue.column}</strong
                    >${issue.path ? html` <code>${issue.path}</code>` : html``}${
                      issue.policy ? html` (policy ${issue.policy})` : html``
                    }:
                    ${issue.message}
                  </li>`,
              )}
            </ul>`
          : html``
      }
      <form method="post" action="/admin/policies" class="stacked editor">
        ${csrfField(csrf)}
        <input type="hidden" name="version" value="${String(startedFrom)}" />
        <label for="policy-text">Policy set (YAML), editing version ${String(startedFrom)}</label>
        <textarea
          id="policy-text"
          name="text"
          rows="22"
          spellcheck="false"
          autocapitalize="none"
          ${issues.length ? html`aria-invalid="true" aria-describedby="draft-issues"` : html``}
        >
${state.draft ?? current.text}</textarea>
        <div class="actions">
          <button type="submit" name="action" value="publish">Publish</button>
          <button type="submit" name="action" value="preview" class="secondary">Check and preview with what-if</button>
        </div>
      </form>
    </section>`;
  render(
    request,
    consolePage({
      title: 'Policies',
      section: 'policies',
      chrome: request.chrome({ notice: state.notice, error: state.error }),
      body,
    }),
  );
}
