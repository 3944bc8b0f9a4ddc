import { isScope, scopes as scopeDescriptions } from '../../lib/scopes';
import { escapeHtml } from './html';

export interface ConsentPageOptions {
  uid: string;
  csrf: string;
  clientName: string;
  email: string;
  /** The platform scopes the grant would hold (after the role and client are applied). */
  scopes: readonly string[];
  offline: boolean;
}

export function consentPage(options: ConsentPageOptions): { title: string; body: string } {
  const items = options.scopes.map((scope) => `<li><strong>${escapeHtml(scope)}</strong>: ${isScope(scope) ? escapeHtml(scopeDescriptions[scope]) : ''}</li>`);
  if (options.offline) items.push('<li>stay signed in (a refresh token)</li>');
  const list = items.length ? `<ul>${items.join('')}</ul>` : '<p>No access to platform data: your role allows none of what was asked.</p>';
  const uid = encodeURIComponent(options.uid);
  return {
    title: 'Allow access',
    body: `<p>Signed in as ${escapeHtml(options.email)}. <strong>${escapeHtml(options.clientName)}</strong> asks to:</p>
${list}
<form method="post" action="/interaction/${uid}/confirm">
<input type="hidden" name="csrf" value="${escapeHtml(options.csrf)}">
<button type="submit">Allow</button>
</form>
<form method="post" action="/interaction/${uid}/abort">
<input type="hidden" name="csrf" value="${escapeHtml(options.csrf)}">
<button type="submit" class="secondary">Deny</button>
</form>`,
  };
}
