import { acceptReading, readingSchema } from '../../subgraphs/device/ingest/reading-schema';

const valid = {
  v: 1,
  deviceId: 'D000000000042',
  bootSeq: 3,
  seq: 17,
  timestamp: 1_764_400_000,
  duration: 5,
  frequency: 50.01,
  eReal: [5710, 2644, -910],
  eReactive: [-1086, -358, 135],
  vRMS: [234.9, 234.9, 235],
  iRMS: [4.863, 2.252, 0.775],
};

// each variant breaks (or keeps) one rule of the zod schema
const variants: [string, Record<string, unknown>][] = [
  ['valid', {}],
  ['le extras', { duration: 300, vRMSMin: [230, 231, 229], eRealPositive: [1, 2, 3] }],
  ['unknown field (stripped)', { firmware: 'x' }],
  ['v 2', { v: 2 }],
  ['bad device id', { deviceId: 'D42' }],
  ['fractional seq', { seq: 1.5 }],
  ['negative bootSeq', { bootSeq: -1 }],
  ['timestamp too small', { timestamp: 999 }],
  ['duration 0', { duration: 0 }],
  ['frequency missing', { frequency: undefined }],
  ['frequency 90', { frequency: 90 }],
  ['infinite energy', { eReal: [Infinity, 1, 2] }],
  ['string in array', { iRMS: ['1', 2, 3] }],
  ['empty array', { vRMS: [] }],
  ['13 channels', { eReal: Array.from({ length: 13 }, () => 1) }],
  ['volts over 1000', { vRMS: [1001, 230, 230] }],
  ['negative amps', { iRMS: [-1, 1, 1] }],
  ['energy beyond max power', { eReal: [1000 * 10_000 * 5 + 1, 1, 1] }],
  ['null extra', { vRMSMax: null }],
  ['extra out of range', { iRMSMax: [20_000, 1, 1] }],
];

describe('hand-written reading check', () => {
  it.each(variants)('agrees with the zod schema: %s', (_, change) => {
    const body: Record<string, unknown> = { ...valid, ...change };
    for (const key of Object.keys(change)) if (change[key] === undefined) delete body[key];
    const zod = readingSchema.safeParse(body);
    const fast = acceptReading(body);
    expect(fast !== null).toBe(zod.success);
    if (zod.success) expect(fast).toEqual(zod.data);
  });

  it('refuses what is not an object', () => {
    for (const body of [null, 1, 'x', [valid]]) expect(acceptReading(body)).toBeNull();
  });
});
