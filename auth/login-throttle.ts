import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { Config } from '../lib/config';
import type { Redis } from '../lib/redis';

/** Wrong passwords are counted over this window (the lock itself lasts LOGIN_LOCKOUT_SECONDS). */
const FAILURE_WINDOW_SECONDS = 3600;

export type LockReason = 'account' | 'source';

export interface Lock {
  reason: LockReason;
  /** Seconds until the lock ends. */
  retryAfter: number;
}

export interface FailureOutcome {
  accountLocked: boolean;
  sourceBlocked: boolean;
}

/**
 * Brute-force protection for the sign-in page, in Redis so every issuer replica shares it
 * (rate-limiter-flexible). Per account (keyed by the e-mail address, known or not): after
 * LOGIN_MAX_FAILURES wrong passwords the account is locked for LOGIN_LOCKOUT_SECONDS and
 * even the right password is refused. Per source address: LOGIN_SOURCE_MAX_FAILURES wrong
 * passwords, whatever the accounts, block the address for as long.
 */
export class LoginThrottle {
  private readonly account: RateLimiterRedis;
  private readonly source: RateLimiterRedis;

  constructor(
    redis: Redis,
    private readonly config: Pick<Config, 'LOGIN_MAX_FAILURES' | 'LOGIN_LOCKOUT_SECONDS' | 'LOGIN_SOURCE_MAX_FAILURES'>,
  ) {
    const window = Math.max(FAILURE_WINDOW_SECONDS, config.LOGIN_LOCKOUT_SECONDS);
    this.account = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'login:account', points: config.LOGIN_MAX_FAILURES, duration: window });
    this.source = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'login:source', points: config.LOGIN_SOURCE_MAX_FAILURES, duration: window });
  }

  /** Checked before the password is: a locked account or blocked source is refused outright. */
  async lockOf(email: string, source: string): Promise<Lock | null> {
    const [account, address] = await Promise.all([this.account.get(email), this.source.get(source)]);
    if (account && account.consumedPoints >= this.config.LOGIN_MAX_FAILURES) return { reason: 'account', retryAfter: Math.ceil(account.msBeforeNext / 1000) };
    if (address && address.consumedPoints >= this.config.LOGIN_SOURCE_MAX_FAILURES) return { reason: 'source', retryAfter: Math.ceil(address.msBeforeNext / 1000) };
    return null;
  }

  async failed(email: string, source: string): Promise<FailureOutcome> {
    const [account, address] = await Promise.all([this.account.penalty(email), this.source.penalty(source)]);
    const accountLocked = account.consumedPoints >= this.config.LOGIN_MAX_FAILURES;
    const sourceBlocked = address.consumedPoints >= this.config.LOGIN_SOURCE_MAX_FAILURES;
    // The lock runs from the failure that set it, for LOGIN_LOCKOUT_SECONDS; then counting starts over.
    if (accountLocked) await this.account.block(email, this.config.LOGIN_LOCKOUT_SECONDS);
    if (sourceBlocked) await this.source.block(source, this.config.LOGIN_LOCKOUT_SECONDS);
    return { accountLocked, sourceBlocked };
  }

  /** A successful sign-in forgets the account's earlier failures. */
  async succeeded(email: string): Promise<void> {
    await this.account.delete(email);
  }
}
