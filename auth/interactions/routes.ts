import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, type Client } from 'oidc-provider';
import { readBody } from '../../lib/http';
import { loadAccount } from '../account';
import { hasControlScope, isControlClient } from '../scope-policy';
import { confirmConsent, showConsent } from './consent';
import type { InteractionDeps, InteractionDetails } from './context';
import { sendPage } from './html';
import { showLogin, submitLogin, type LoginPageState } from './login';

const ROUTE = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(login|confirm|abort))?$/;
const FORM_LIMIT = 16 * 1024;

const expired = (res: ServerResponse) =>
  sendPage(res, 400, 'Sign-in expired', '<p role="alert">This sign-in has expired or was already completed. Start again from the application.</p>');

/**
 * The sign-in and consent pages (oidc-provider's interactions API): GET shows what the
 * prompt needs, POST takes a form carrying the interaction's CSRF token. Returns false for
 * any other path, which the provider then serves.
 */
export function createInteractionRoutes(deps: InteractionDeps): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const match = ROUTE.exec((req.url ?? '').split('?')[0]!);
    if (!match) return false;
    const [, uid, action] = match;
    if ((action ? 'POST' : 'GET') !== req.method) {
      sendPage(res, 405, 'Not allowed', '<p role="alert">This page does not take that request.</p>');
      return true;
    }
    let details: InteractionDetails;
    try {
      details = (await deps.provider().interactionDetails(req, res)) as unknown as InteractionDetails;
    } catch (error) {
      if (error instanceof errors.SessionNotFound) return (expired(res), true);
      throw error;
    }
    if (details.uid !== uid) return (expired(res), true);
    const form = action ? new URLSearchParams((await readBody(req, FORM_LIMIT)).toString('utf8')) : null;
    if (form && !deps.csrf.verify(details.uid, form.get('csrf'))) {
      sendPage(res, 403, 'Request refused', '<p role="alert">The form could not be verified. Go back, reload the page and try again.</p>');
      return true;
    }
    await dispatch(deps, req, res, details, action, form);
    return true;
  };
}

async function dispatch(deps: InteractionDeps, req: IncomingMessage, res: ServerResponse, details: InteractionDetails, action: string | undefined, form: URLSearchParams | null): Promise<void> {
  const provider = deps.provider();
  if (action === 'abort') {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user cancelled the sign-in' }, { mergeWithLastSubmission: false });
    return;
  }
  const client = (await provider.Client.find(String(details.params.client_id))) as Client | undefined;
  if (!client) return expired(res);
  const state: LoginPageState = { clientName: client.clientName ?? client.clientId, control: isControlClient(client) && hasControlScope(String(details.params.scope ?? '')) };
  if (details.prompt.name === 'login') {
    if (action === 'login' && form) return submitLogin(deps, req, res, details, form, state);
    return showLogin(deps, res, details, state);
  }
  const account = details.session ? await loadAccount(deps.pool, details.session.accountId) : undefined;
  if (details.prompt.name !== 'consent' || !account) return expired(res);
  if (action === 'confirm') return confirmConsent(deps, req, res, details, client, account);
  return showConsent(deps, res, details, client, account);
}
