import type { IncomingMessage, ServerResponse } from 'node:http';
import { recordAudit } from '../audit.store';
import { verifyPassword } from '../password';
import { findUserForLogin, normalizeEmail } from '../users.store';
import type { Lock } from '../login-throttle';
import { sourceOf, type InteractionDeps, type InteractionDetails } from './context';
import { sendPage } from './html';
import { loginPage } from './login-page';

const minutes = (seconds: number) => Math.max(1, Math.ceil(seconds / 60));

function lockMessage(lock: Lock): string {
  return lock.reason === 'account'
    ? `This account is locked after too many wrong passwords. Try again in ${minutes(lock.retryAfter)} minute(s).`
    : `Too many wrong passwords from your network. Try again in ${minutes(lock.retryAfter)} minute(s).`;
}

export interface LoginPageState {
  clientName: string;
  control: boolean;
}

export function showLogin(deps: InteractionDeps, res: ServerResponse, details: InteractionDetails, state: LoginPageState, extra: { email?: string; error?: string; status?: number } = {}): void {
  const { title, body } = loginPage({ uid: details.uid, csrf: deps.csrf.issue(details.uid), ...state, ...extra });
  sendPage(res, extra.status ?? 200, title, body);
}

/**
 * Checks the password behind the throttle: a locked account or blocked source is refused
 * before the password is looked at, so that even the right one fails until the lock ends.
 */
export async function submitLogin(deps: InteractionDeps, req: IncomingMessage, res: ServerResponse, details: InteractionDetails, form: URLSearchParams, state: LoginPageState): Promise<void> {
  const email = normalizeEmail(form.get('email') ?? '');
  const password = form.get('password') ?? '';
  const source = sourceOf(req, deps.config.TRUST_PROXY === '1');
  const clientId = typeof details.params.client_id === 'string' ? details.params.client_id : null;
  const user = email ? await findUserForLogin(deps.pool, email) : undefined;
  const audit = { tenantId: user?.tenantId ?? null, subject: user?.id ?? null, clientId, source, detail: { email } };

  const lock = await deps.throttle.lockOf(email, source);
  if (lock) {
    await recordAudit(deps.pool, { ...audit, type: 'login.refused_locked', detail: { email, reason: lock.reason } });
    showLogin(deps, res, details, state, { email, error: lockMessage(lock), status: 429 });
    return;
  }
  const valid = await verifyPassword(user && !user.disabledAt ? user.passwordHash : null, password);
  if (!valid || !user) {
    const outcome = await deps.throttle.failed(email, source);
    await recordAudit(deps.pool, { ...audit, type: 'login.failed' });
    if (outcome.accountLocked) await recordAudit(deps.pool, { ...audit, type: 'account.locked', detail: { email, seconds: deps.config.LOGIN_LOCKOUT_SECONDS } });
    if (outcome.sourceBlocked) await recordAudit(deps.pool, { ...audit, type: 'source.blocked', detail: { seconds: deps.config.LOGIN_LOCKOUT_SECONDS } });
    deps.logger.info({ clientId, source, accountLocked: outcome.accountLocked, sourceBlocked: outcome.sourceBlocked }, 'sign-in refused');
    const error = outcome.accountLocked || outcome.sourceBlocked
      ? lockMessage({ reason: outcome.accountLocked ? 'account' : 'source', retryAfter: deps.config.LOGIN_LOCKOUT_SECONDS })
      : 'Wrong e-mail address or password.';
    showLogin(deps, res, details, state, { email, error, status: 401 });
    return;
  }
  await deps.throttle.succeeded(email);
  await recordAudit(deps.pool, { ...audit, type: 'login.succeeded' });
  await deps.provider().interactionFinished(req, res, { login: { accountId: user.id, amr: ['pwd'] } }, { mergeWithLastSubmission: false });
}
