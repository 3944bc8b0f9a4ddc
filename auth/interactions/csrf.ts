import crypto from 'node:crypto';
import { deriveKey, safeEqual } from '../../lib/master-key';

/**
 * The forms' CSRF token: an HMAC of the interaction id, so it is bound to that one
 * interaction (whose id only the browser holding its cookie knows), and needs no storage.
 */
export class CsrfTokens {
  private readonly key: Buffer;

  constructor(masterKey: Buffer) {
    this.key = deriveKey(masterKey, 'interaction-csrf');
  }

  issue(interactionUid: string): string {
    return crypto.createHmac('sha256', this.key).update(interactionUid).digest('base64url');
  }

  verify(interactionUid: string, presented: unknown): boolean {
    return typeof presented === 'string' && safeEqual(this.issue(interactionUid), presented);
  }
}
