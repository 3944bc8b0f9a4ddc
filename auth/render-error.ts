import type { ErrorOut, KoaContextWithOIDC } from 'oidc-provider';
import { escapeHtml, page, PAGE_HEADERS } from './interactions/html';

/** `renderError`: the OAuth error and its description for a browser, never a stack. */
export function renderError(ctx: KoaContextWithOIDC, out: ErrorOut): void {
  ctx.set(PAGE_HEADERS);
  ctx.type = 'html';
  ctx.body = page('Sign-in error', `<p role="alert"><strong>${escapeHtml(out.error)}</strong>: ${escapeHtml(out.error_description ?? '')}</p>`);
}
