import { InputError } from '../../lib/input-error';
import { currentRollup, rollupTables, type RollupGranularity } from './rollups';

/**
 * The preassembled datasets for data-mining tools (CONTRACT §7): one tidy row per time,
 * device and channel, so that Orange3 (or pandas) can group and pivot without reshaping.
 */
export type ColumnType = 'time' | 'discrete' | 'continuous';

export interface Column {
  name: string;
  type: ColumnType;
  /** Orange's third header row: `meta` columns are shown but not used for learning. */
  flag?: 'meta';
  description: string;
}

export interface Dataset {
  name: string;
  description: string;
  /** Widest [from, to) one download may cover. */
  maxWindowDays: number;
  columns: Column[];
  /** A SELECT; `$from`, `$to` and `$devices` (a condition on `r.device_id`) are replaced by checked literals. */
  select: string;
}

const columns = (energyDescription: string): Column[] => [
  { name: 'timestamp', type: 'time', description: 'start of the interval, UTC' },
  { name: 'device', type: 'discrete', description: 'device id' },
  { name: 'channel', type: 'discrete', description: 'channel index (0-based)' },
  { name: 'energy_j', type: 'continuous', description: energyDescription },
  { name: 'power_w', type: 'continuous', description: 'average real power, W (energy / duration)' },
  { name: 'v_rms', type: 'continuous', description: 'RMS voltage, V (average)' },
  { name: 'i_rms', type: 'continuous', description: 'RMS current, A (average)' },
  { name: 'duration_s', type: 'continuous', flag: 'meta', description: 'seconds covered' },
];

const time = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;

/** Per channel from FIVE_MINUTES, or from HOUR or DAY as they are now (rollups.ts `currentRollup`). */
function rollup(granularity: RollupGranularity): string {
  const window = { devices: '$devices', from: '$from', to: '$to' };
  const source =
    granularity === 'FIVE_MINUTES'
      ? `(select * from ${rollupTables.FIVE_MINUTES.table} r where r.bucket >= $from and r.bucket < $to and $devices)`
      : `(${currentRollup(granularity, window)})`;
  return `select ${time('r.bucket')}, r.device_id, c.i - 1, r.e_real[c.i], r.e_real[c.i] / nullif(r.duration, 0),
      r.v_rms_sum[c.i] / nullif(r.readings, 0), r.i_rms_sum[c.i] / nullif(r.readings, 0), r.duration
    from ${source} r cross join lateral generate_subscripts(r.e_real, 1) as c(i)
    order by r.bucket, r.device_id, c.i`;
}

export const datasets: Record<string, Dataset> = {
  'readings-raw': {
    name: 'readings-raw',
    description: 'Every stored reading (5-second and 5-minute intervals), per channel',
    maxWindowDays: 7,
    columns: columns('real energy over the interval, J'),
    select: `select ${time('r.ts')}, r.device_id, c.i - 1, r.e_real[c.i], r.e_real[c.i] / nullif(r.duration, 0), r.v_rms[c.i], r.i_rms[c.i], r.duration
      from telemetry.readings r cross join lateral generate_subscripts(r.e_real, 1) as c(i)
      where r.ts >= $from and r.ts < $to and $devices
      order by r.ts, r.device_id, c.i`,
  },
  'energy-5min': {
    name: 'energy-5min',
    description: 'Five-minute rollups per channel: energy summed, voltage and current averaged',
    maxWindowDays: 93,
    columns: columns('real energy in the five minutes, J'),
    select: rollup('FIVE_MINUTES'),
  },
  'energy-hourly': {
    name: 'energy-hourly',
    description: 'Hourly rollups per channel',
    maxWindowDays: 732,
    columns: columns('real energy in the hour, J'),
    select: rollup('HOUR'),
  },
  'energy-daily': {
    name: 'energy-daily',
    description: 'Daily (UTC) rollups per channel',
    maxWindowDays: 3660,
    columns: columns('real energy in the day, J'),
    select: rollup('DAY'),
  },
};

const DAY_MS = 86_400_000;

/** The window rules of a download, for the gateway's route and for `createDatasetLink`. */
export function checkDatasetWindow(name: string, from: Date, to: Date): void {
  const dataset = datasets[name];
  if (!dataset) throw new InputError(`no dataset ${JSON.stringify(name).slice(0, 60)}; known: ${Object.keys(datasets).join(', ')}`, 'name');
  if (!(to > from)) throw new InputError('to must be after from (from is inclusive, to exclusive)', 'to');
  if (to.getTime() - from.getTime() > dataset.maxWindowDays * DAY_MS) {
    throw new InputError(`window too wide for ${name}: at most ${dataset.maxWindowDays} days`, 'to');
  }
}
