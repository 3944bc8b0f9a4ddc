import type { Config, DEFENDER_ACTIONS } from '../../lib/config';

/** What a tripped rule does: record only, lower the principal's limit, cut it off for a while, or revoke its credential. */
export type DefenderAction = (typeof DEFENDER_ACTIONS)[number];

/** The systematic-discovery patterns the defender watches for (DESIGN: the defender). */
export const RULES = {
  probing: 'unknown-field probing (operations failing validation)',
  introspection: 'introspection attempts in production',
  denials: 'a burst of authorization denials',
  enumeration: 'id enumeration (lookups by id answering null)',
  cost: 'operations refused as too complex',
  'rate-limit': 'requests refused by the rate limit',
} as const;

export type RuleName = keyof typeof RULES;

/** What one request adds to the windows: a rule's count, plus every lookup by id (the enumeration ratio's base). */
export type Counter = RuleName | 'lookups';

export interface Rule {
  name: RuleName;
  /** Count within the window at which the rule trips; 0 turns it off. */
  threshold: number;
  action: DefenderAction;
}

export interface DefenderSettings {
  windowSeconds: number;
  blockSeconds: number;
  throttleSeconds: number;
  /** Requests per minute while throttled. */
  throttleLimit: number;
  /** Share of null answers among lookups by id at which enumeration counts. */
  enumerationRatio: number;
  rules: readonly Rule[];
}

/** The defender's part of the configuration (DEFENDER_* in lib/config.ts). */
export function defenderSettings(config: Config): DefenderSettings {
  const rule = (name: RuleName, threshold: number, action: DefenderAction): Rule => ({ name, threshold, action });
  return {
    windowSeconds: config.DEFENDER_WINDOW,
    blockSeconds: config.DEFENDER_BLOCK_SECONDS,
    throttleSeconds: config.DEFENDER_THROTTLE_SECONDS,
    throttleLimit: config.DEFENDER_THROTTLE_LIMIT,
    enumerationRatio: config.DEFENDER_ENUMERATION_RATIO,
    rules: [
      rule('probing', config.DEFENDER_PROBING_THRESHOLD, config.DEFENDER_PROBING_ACTION),
      rule('introspection', config.DEFENDER_INTROSPECTION_THRESHOLD, config.DEFENDER_INTROSPECTION_ACTION),
      rule('denials', config.DEFENDER_DENIALS_THRESHOLD, config.DEFENDER_DENIALS_ACTION),
      rule('enumeration', config.DEFENDER_ENUMERATION_THRESHOLD, config.DEFENDER_ENUMERATION_ACTION),
      rule('cost', config.DEFENDER_COST_THRESHOLD, config.DEFENDER_COST_ACTION),
      rule('rate-limit', config.DEFENDER_RATE_LIMIT_THRESHOLD, config.DEFENDER_RATE_LIMIT_ACTION),
    ].filter((r) => r.threshold > 0),
  };
}
