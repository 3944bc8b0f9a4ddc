import { z } from 'zod';
import { DEVICE_ID } from './topics';

// Plausible ranges: a Wattwatchers-class monitor measures up to 1,000 V and 10,000 A per
// channel; anything outside is a fault or a forgery, not a reading. zod's number() already
// refuses Infinity (what JSON.parse makes of 1e999) and NaN.
const MAX_VOLTS = 1000;
const MAX_AMPS = 10_000;
const energies = z.array(z.number()).min(1).max(12);
const volts = z.array(z.number().min(0).max(MAX_VOLTS)).min(1).max(12);
const amps = z.array(z.number().min(0).max(MAX_AMPS)).min(1).max(12);

/** Interval length per topic: `se` readings are 5 s, `le` readings 5 min (CONTRACT §6). */
export const DURATION_BY_KIND = { se: 5, le: 300 } as const;

const LE_EXTRAS = ['eRealPositive', 'eRealNegative', 'eReactivePositive', 'eReactiveNegative', 'vRMSMin', 'vRMSMax', 'iRMSMin', 'iRMSMax'] as const;

export const readingSchema = z
  .object({
    v: z.literal(1),
    deviceId: z.string().regex(DEVICE_ID),
    bootSeq: z.number().int().min(0).max(2 ** 31),
    seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    timestamp: z.number().int().min(1_000_000_000).max(10_000_000_000),
    duration: z.number().int().min(1).max(3600),
    frequency: z.number().min(40).max(70),
    eReal: energies,
    eReactive: energies,
    vRMS: volts,
    iRMS: amps,
    eRealPositive: energies.optional(),
    eRealNegative: energies.optional(),
    eReactivePositive: energies.optional(),
    eReactiveNegative: energies.optional(),
    vRMSMin: volts.optional(),
    vRMSMax: volts.optional(),
    iRMSMin: amps.optional(),
    iRMSMax: amps.optional(),
  })
  .superRefine((reading, ctx) => {
    // energy cannot exceed what the maximum power delivers in the interval
    const limit = MAX_VOLTS * MAX_AMPS * reading.duration;
    for (const field of ['eReal', 'eReactive', 'eRealPositive', 'eRealNegative', 'eReactivePositive', 'eReactiveNegative'] as const) {
      if (reading[field]?.some((value) => Math.abs(value) > limit)) {
        ctx.addIssue({ code: 'custom', path: [field], message: `energy beyond ${limit} J for ${reading.duration} s` });
      }
    }
  });

export type ReadingPayload = z.infer<typeof readingSchema>;

/** Every per-channel array of the payload, to check them against the device's channel count. */
export function channelArrays(reading: ReadingPayload): number[][] {
  const extras = LE_EXTRAS.map((name) => reading[name]).filter((value): value is number[] => value !== undefined);
  return [reading.eReal, reading.eReactive, reading.vRMS, reading.iRMS, ...extras];
}

export function leExtras(reading: ReadingPayload): Record<string, number[]> | undefined {
  const entries = LE_EXTRAS.flatMap((name) => (reading[name] ? [[name, reading[name]] as const] : []));
  return entries.length ? Object.fromEntries(entries) : undefined;
}

/** Device status (retained; the will says offline). Issue 4 extends it. */
export const statusSchema = z.object({
  v: z.literal(1),
  deviceId: z.string().regex(DEVICE_ID),
  online: z.boolean(),
  timestamp: z.number().int().min(1_000_000_000).max(10_000_000_000),
  firmwareVersion: z.string().max(64).optional(),
  signalQualityDbm: z.number().int().min(-150).max(0).optional(),
});

export type StatusPayload = z.infer<typeof statusSchema>;
