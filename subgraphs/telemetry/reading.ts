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
   * False when (bootSeq, seq) is not above the device's high-water mark: reordered,
   * redelivered or replayed; the writer then looks the sequence up before storing.
   */
  fresh: boolean;
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
