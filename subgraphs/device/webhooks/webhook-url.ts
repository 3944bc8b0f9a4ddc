import { InputError } from '../../../lib/input-error';
import { PrivateAddressError, resolvePublic } from './public-address';

/**
 * CONTRACT §8: in production only https URLs whose host resolves to public addresses (no
 * SSRF into the internal network); the delivery checks again at connection time. In
 * development and test any http(s) URL is accepted, so that a local receiver works.
 */
export async function checkWebhookUrl(text: string, production: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError('url: not a valid URL', 'url');
  }
  if (text.length > 2000) throw new InputError('url: at most 2000 characters', 'url');
  if (url.username || url.password) throw new InputError('url: must not carry credentials', 'url');
  if (production ? url.protocol !== 'https:' : url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(production ? 'url: must be an https URL' : 'url: must be an http or https URL', 'url');
  }
  if (production) {
    try {
      await resolvePublic(url.hostname.replace(/^\[|\]$/g, ''));
    } catch (error) {
      if (error instanceof PrivateAddressError) throw new InputError(`url: ${error.message}`, 'url');
      throw new InputError(`url: ${url.hostname} does not resolve`, 'url');
    }
  }
  return url;
}
