/** Per-channel arrays are indexed by channel position (CONTRACT §6): channel `i` is index `i`. */
export interface ReadingValues {
  /** Start of the interval, unix seconds (the device's signed timestamp). */
  timestamp: number;
  duration: number;
  frequency: number | null;
  eReal: number[];
  eReactive: number[];
  vRMS: number[];
  iRMS: number[];
  /** `le` extras (eRealPositive, vRMSMin, ...), absent on `se`. */
  extra?: Record<string, number[]>;
}

/** A verified reading on its way to storage, with the signed bytes it came from. */
export interface IncomingReading extends ReadingValues {
  deviceId: string;
  tenantId: string;
  region: string;
  bootSeq: number;
  seq: number;
  topic: string;
  receivedAt: Date;
  payload: Buffer;
  mac: Buffer;
  /**
   * False when (bootSeq, seq) is not above the device's high-water mark (reordered,
   * redelivered or replayed) or the worker does not know the mark yet (the device's first
   * reading since the worker started); the writer then looks the sequence up before
   * storing, and reports the device's mark back (`WriteOptions.marks`). True only for the
   * first of a device's readings to pass its mark (the mark then moves to it), so no two
   * fresh readings of a batch share a (bootSeq, seq): `writeBatch` stores a batch of fresh
   * readings without looking for one.
   */
  fresh: boolean;
}

/** A device's highest (bootSeq, seq). */
export interface SequenceMark {
  bootSeq: number;
  seq: number;
}

/** A message that was refused, kept with its reason (CONTRACT §6). */
export interface DeadLetter {
  receivedAt: Date;
  topic: string;
  deviceId: string | null;
  tenantId: string | null;
  reason: string;
  detail: string | null;
  payload: Buffer;
}

export type Granularity = 'RAW' | 'FIVE_MINUTES' | 'FIFTEEN_MINUTES' | 'HOUR' | 'DAY';

/** What the telemetry subgraph serves: one row per interval (raw) or bucket (rollups). */
export interface ReadingRow {
  deviceId: string;
  timestamp: Date;
  duration: number;
  frequency: number | null;
  eReal: number[];
  eReactive: number[] | null;
  vRMS: number[] | null;
  iRMS: number[] | null;
}

export const readingKey = (deviceId: string, timestamp: number, duration: number): string => `${deviceId}|${timestamp}|${duration}`;

/** One value per reading (or rollup bucket) of a window, in time order; null where one has none. */
export type Series = (number | null)[];

/** The columns a series read leaves out unless asked for; eReal is always read (channel count, powerW). */
export const optionalColumns = ['frequency', 'eReactive', 'vRMS', 'iRMS'] as const;
export type OptionalColumn = (typeof optionalColumns)[number];

/**
 * What `readingSeries` serves: the rows of a window as columns, position i being row i. An
 * optional column not asked for is absent (undefined), so that serving it by mistake fails
 * as a non-null field without a value rather than answering with made-up data.
 */
export interface ReadingColumns {
  /** Start of each interval, unix seconds. */
  timestamps: Series;
  durations: Series;
  frequency?: Series;
  /** Per channel position, as many as the readings have channels (V and I averaged for rollups). */
  channels: ChannelColumns[];
}

export interface ChannelColumns {
  eReal: Series;
  eReactive?: Series;
  vRMS?: Series;
  iRMS?: Series;
}
