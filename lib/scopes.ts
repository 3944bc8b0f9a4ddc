/** Every OAuth scope of the platform (CONTRACT §3). */
export const scopes = {
  'tenancy:read': 'read tenants, the tenant tree, members',
  'tenancy:admin': 'create child tenants, manage members, clients, API keys, webhooks',
  'fleet:read': 'read sites, devices, channels',
  'fleet:write': 'change sites, devices, channel labels and categories',
  'telemetry:read': 'read readings and rollups',
  'telemetry:export': 'download datasets',
  'security:read': 'read security events of one\'s own tenants',
  'device:control': 'send maintenance commands (CT rating, reporting interval, reboot)',
  'device:firmware': 'request firmware upgrades',
} as const;

export type Scope = keyof typeof scopes;

export const allScopes = Object.keys(scopes) as Scope[];

/** Issued only to control clients, to operators, in tokens of at most 5 minutes, never refreshed. */
export const controlScopes: readonly Scope[] = ['device:control', 'device:firmware'];

/** The only scopes an API key may carry (CONTRACT §3). */
export const apiKeyScopes: readonly Scope[] = ['fleet:read', 'telemetry:read', 'telemetry:export'];

export const isScope = (value: string): value is Scope => Object.prototype.hasOwnProperty.call(scopes, value);

/** Parses a space-separated scope list; unknown scopes are an input error naming them. */
export function parseScopes(text: string): Scope[] {
  const list = text.split(/[\s,]+/).filter(Boolean);
  const unknown = list.filter((scope) => !isScope(scope));
  if (unknown.length) throw new Error(`unknown scope(s): ${unknown.join(', ')}; known: ${allScopes.join(', ')}`);
  return [...new Set(list)] as Scope[];
}
