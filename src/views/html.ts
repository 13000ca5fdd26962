// Server-rendered HTML without a framework: a tagged template that escapes every interpolation unless it
// is already marked safe, and the page layout every screen shares.

const SAFE = Symbol('safe-html');

export interface SafeHtml {
  readonly [SAFE]: true;
  readonly value: string;
}

function safe(value: string): SafeHtml {
  return { [SAFE]: true, value };
}

/** Marks markup produced by trusted code (never user input) as safe to embed unescaped. */
export function trustedHtml(value: string): SafeHtml {
  return safe(value);
}

function isSafe(value: unknown): value is SafeHtml {
  return typeof value === 'object' && value !== null && SAFE in value;
}

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

type Interpolation = string | number | boolean | null | undefined | SafeHtml | Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (isSafe(value)) return value.value;
  return escapeHtml(String(value));
}

/** `html\`<p>${text}</p>\`` with every interpolation escaped. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return safe(out);
}

export interface PageOptions {
  title: string;
  body: SafeHtml;
  /** A wider card, for pages that hold lists (the account page). */
  wide?: boolean;
}

/** The shared page: language, viewport, our stylesheet, a main landmark. */
export function page({ title, body, wide }: PageOptions): string {
  return `<!doctype html>
${
  html`<html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="no-referrer" />
      <title>${title} · Latchkey</title>
      <link rel="stylesheet" href="/static/latchkey.css" />
      <link rel="icon" href="data:," />
    </head>
    <body>
      <main class="${wide ? 'card wide' : 'card'}">
        <p class="brand" aria-hidden="true">Latchkey</p>
        ${body}
      </main>
    </body>
  </html> `.value
}`;
}
