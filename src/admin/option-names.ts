// How a caller names the options it gave, so that a refusal from the shared administration code speaks the
// caller's language: the CLI's flags (--okta-domain), the admin API's JSON fields (oktaDomain), the console's
// form labels. The services take one of these and default to the CLI's.

/** The name of `option` (a service's option key, camelCase) as the caller knows it. */
export type OptionNames = (option: string) => string;

/** The CLI's flags: oktaDomain is --okta-domain. */
export const CLI_FLAGS: OptionNames = (option) => `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Names from a table, the option key itself for the rest (the admin API's fields, the console's labels). */
export function namedBy(table: Readonly<Record<string, string>>): OptionNames {
  return (option) => (Object.hasOwn(table, option) ? table[option]! : option);
}
