// Namespace names, as the CLI accepts them (kept here so the journal reader
// and the C monitor's lines are checked the same way without importing cli/).
const NS_RE = /^[a-z0-9]([a-z0-9._-]{0,74}[a-z0-9])?$/;

/** undefined when valid, else why not. */
export function validateNamespaceName(ns: string): string | undefined {
  return NS_RE.test(ns) ? undefined : `invalid namespace "${ns.slice(0, 80)}"`;
}
