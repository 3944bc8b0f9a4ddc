import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { hasControlScope, isControlClient } from './scope-policy';

const { Check, base } = interactionPolicy;

/**
 * oidc-provider's prompts plus one login check: control scopes (device commands) asked for
 * by a control client need a sign-in at most `controlMaxAge` seconds old (CONTRACT §3, the
 * separate control login), whatever the session says.
 */
export function buildInteractionPolicy(controlMaxAge: number): ReturnType<typeof base> {
  const policy = base();
  policy.get('login')!.checks.add(
    new Check('control_login_stale', 'device control needs a fresh sign-in', (ctx: KoaContextWithOIDC) => {
      const { oidc } = ctx;
      if (!oidc.session?.accountId || !oidc.client || !isControlClient(oidc.client)) return Check.NO_NEED_TO_PROMPT;
      if (!hasControlScope(oidc.params?.scope as string | undefined)) return Check.NO_NEED_TO_PROMPT;
      return oidc.session.past(controlMaxAge) && !oidc.result?.login ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );
  return policy;
}
