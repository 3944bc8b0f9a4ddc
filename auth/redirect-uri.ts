import { InputError } from '../lib/input-error';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A code can only be delivered safely over TLS, or to the user's own machine (RFC 8252 §7.3
 * loopback redirects for native apps). Fragments are forbidden (RFC 6749 §3.1.2).
 */
export function validateRedirectUri(uri: string): void {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    throw new InputError(`redirect-uri: ${JSON.stringify(uri)} is not an absolute URL`, 'redirectUris');
  }
  const secure = parsed.protocol === 'https:';
  const loopback = parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname);
  if (!secure && !loopback) {
    throw new InputError(`redirect-uri: ${uri} must use https (http only on localhost or 127.0.0.1)`, 'redirectUris');
  }
  if (parsed.hash || uri.includes('#')) throw new InputError(`redirect-uri: ${uri} must not contain a fragment`, 'redirectUris');
  if (parsed.username || parsed.password) throw new InputError(`redirect-uri: ${uri} must not contain credentials`, 'redirectUris');
}
