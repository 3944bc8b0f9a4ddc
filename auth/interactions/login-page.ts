import { alert, escapeHtml } from './html';

export interface LoginPageOptions {
  uid: string;
  csrf: string;
  clientName: string;
  email?: string;
  error?: string;
  /** Control scopes were asked for: this is the separate control sign-in (CONTRACT §3). */
  control: boolean;
}

export function loginPage(options: LoginPageOptions): { title: string; body: string } {
  const purpose = options.control
    ? `<p><strong>Control sign-in</strong> for ${escapeHtml(options.clientName)}: device commands need a fresh sign-in.</p>`
    : `<p>Sign in to continue to ${escapeHtml(options.clientName)}.</p>`;
  return {
    title: 'Sign in',
    body: `${purpose}${alert(options.error)}
<form method="post" action="/interaction/${encodeURIComponent(options.uid)}/login">
<input type="hidden" name="csrf" value="${escapeHtml(options.csrf)}">
<label for="email">E-mail address</label>
<input id="email" name="email" type="email" autocomplete="username" required autofocus value="${escapeHtml(options.email ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${encodeURIComponent(options.uid)}/abort">
<input type="hidden" name="csrf" value="${escapeHtml(options.csrf)}">
<button type="submit" class="secondary">Cancel</button>
</form>`,
  };
}
