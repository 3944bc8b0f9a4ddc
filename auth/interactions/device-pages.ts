import type { KoaContextWithOIDC } from 'oidc-provider';
import { alert, escapeHtml, page, PAGE_HEADERS } from './html';

/**
 * features.deviceFlow page sources. oidc-provider hands over its own form (with the xsrf
 * token it checks on submit); the pages keep its action and token and render a labelled,
 * script-free form around them.
 */
const field = (form: string, name: string): string => new RegExp(`name="${name}" value="([^"]*)"`).exec(form)?.[1] ?? '';
const action = (form: string): string => /action="([^"]+)"/.exec(form)?.[1] ?? '';

function render(ctx: KoaContextWithOIDC, title: string, body: string): void {
  ctx.set(PAGE_HEADERS);
  ctx.type = 'html';
  ctx.body = page(title, body);
}

function inputError(err: (Error & { userCode?: string }) | undefined): string | undefined {
  if (!err) return undefined;
  if (err.name === 'NoCodeError' || err.userCode) return 'That code is not valid or has expired. Check the code on your device and try again.';
  if (err.name === 'AbortedError') return 'The sign-in was cancelled.';
  return 'The code could not be checked. Try again.';
}

export async function userCodeInputSource(ctx: KoaContextWithOIDC, form: string, _out?: unknown, err?: Error): Promise<void> {
  render(
    ctx,
    'Connect a device',
    `<p>Enter the code shown by the program you are signing in to (a notebook, Orange3, a command-line tool).</p>${alert(inputError(err))}
<form method="post" action="${escapeHtml(action(form))}">
<input type="hidden" name="xsrf" value="${escapeHtml(field(form, 'xsrf'))}">
<label for="user_code">Code</label>
<input id="user_code" name="user_code" type="text" autocomplete="off" autocapitalize="characters" required autofocus>
<button type="submit">Continue</button>
</form>`,
  );
}

export async function userCodeConfirmSource(ctx: KoaContextWithOIDC, form: string, client: { clientName?: string; clientId: string }, _deviceInfo: unknown, userCode: string): Promise<void> {
  const target = escapeHtml(action(form));
  const hidden = `<input type="hidden" name="xsrf" value="${escapeHtml(field(form, 'xsrf'))}">
<input type="hidden" name="user_code" value="${escapeHtml(field(form, 'user_code'))}">`;
  render(
    ctx,
    'Confirm the device',
    `<p><strong>${escapeHtml(client.clientName ?? client.clientId)}</strong> asks to sign in. Continue only if your device shows this code:</p>
<p><code>${escapeHtml(userCode)}</code></p>
<form method="post" action="${target}">${hidden}<input type="hidden" name="confirm" value="yes"><button type="submit">Continue</button></form>
<form method="post" action="${target}">${hidden}<input type="hidden" name="abort" value="yes"><button type="submit" class="secondary">Cancel</button></form>`,
  );
}

export async function successSource(ctx: KoaContextWithOIDC): Promise<void> {
  const name = ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId ?? 'the program';
  render(ctx, 'Device connected', `<p>You are signed in to ${escapeHtml(name)}. You can close this page and return to it.</p>`);
}
