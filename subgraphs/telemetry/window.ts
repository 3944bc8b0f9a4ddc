import { badInput } from '../../schema/errors';
import type { Granularity } from './reading';

const DAY = 86_400_000;

/**
 * The widest [from, to) each granularity serves in one field: one day of RAW 5-second data
 * is 17,280 readings per device, a year of HOUR rollups 8,784 (`bench:query` measures both).
 */
export const windowCaps: Record<Granularity, number> = {
  RAW: 2 * DAY,
  FIVE_MINUTES: 31 * DAY,
  FIFTEEN_MINUTES: 93 * DAY,
  HOUR: 366 * DAY,
  DAY: 3_660 * DAY,
};

export function checkWindow(from: Date, to: Date, granularity: Granularity): void {
  if (!(to.getTime() > from.getTime())) throw badInput('`to` must be after `from` (from is inclusive, to exclusive)', 'to');
  if (to.getTime() - from.getTime() > windowCaps[granularity]) {
    throw badInput(`window too wide for ${granularity}: at most ${windowCaps[granularity] / DAY} days`, 'to');
  }
}
