/**
 * Realistic-looking values for a simulated monitor: channel 0 is the grid connection,
 * the last channel a solar inverter (negative energy by day, zero at night), the others
 * household circuits with a morning and an evening peak. Deterministic noise per device,
 * so two runs of the simulator look alike.
 */
export interface ChannelValues {
  frequency: number;
  eReal: number[];
  eReactive: number[];
  vRMS: number[];
  iRMS: number[];
}

// Math.round on a scaled value, not toFixed: the same shortest decimal in JSON at a fraction
// of the cost (the simulator shares the benchmark machine's cores with the platform)
const round1 = (value: number): number => Math.round(value * 10) / 10;
const round2 = (value: number): number => Math.round(value * 100) / 100;
const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/** 0..1 household demand over the day (local solar time approximated by UTC + offset). */
function demand(hour: number): number {
  const morning = Math.exp(-((hour - 7.5) ** 2) / 2);
  const evening = 1.4 * Math.exp(-((hour - 19) ** 2) / 3);
  return 0.15 + morning + evening;
}

/** 0..1 solar output: a bell between 6:00 and 18:00. */
function solar(hour: number): number {
  return hour < 6 || hour > 18 ? 0 : Math.sin(((hour - 6) / 12) * Math.PI);
}

/**
 * 0..1, the same for the same (seed, t): an integer hash (murmur3's finaliser) of the two.
 * It replaced `fract(sin(seed * 12.9898 + t * 78.233) * 43758.5453)`, whose sine of a
 * ~1e11 argument (a long range reduction) was 8 % of the simulator's CPU at 100,000 devices.
 */
export function noise(seed: number, t: number): number {
  let h = Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(t | 0, 0x85ebca77);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4_294_967_296;
}

export function channelValues(seed: number, channels: number, timestamp: number, duration: number, utcOffsetHours = 10): ChannelValues {
  const hour = (((timestamp / 3600 + utcOffsetHours) % 24) + 24) % 24;
  const volts = 240 + 5 * Math.sin((timestamp / 900 + seed) % (2 * Math.PI)) + noise(seed, timestamp) - 0.5;
  const householdDemand = demand(hour);
  const solarOutput = solar(hour);
  // watts per channel: [grid, ...circuits]; the grid connection carries the sum of the others
  const watts: number[] = new Array<number>(Math.max(1, channels)).fill(0);
  let grid = 0;
  for (let c = 1; c < channels; c += 1) {
    const isSolar = c === channels - 1 && channels > 2;
    const scale = 300 + ((seed * 7 + c * 131) % 900);
    const w = isSolar ? -solarOutput * 4000 * (0.8 + 0.2 * noise(seed + c, timestamp)) : scale * householdDemand * (0.7 + 0.6 * noise(seed + c, timestamp));
    watts[c] = w;
    grid += w;
  }
  watts[0] = grid;
  const values: ChannelValues = { frequency: round2(50 + (noise(seed, timestamp + 1) - 0.5) * 0.1), eReal: [], eReactive: [], vRMS: [], iRMS: [] };
  for (let c = 0; c < channels; c += 1) {
    const w = watts[c]!;
    values.eReal.push(Math.round(w * duration));
    values.eReactive.push(Math.round(w * duration * (0.1 + 0.2 * noise(seed + c, timestamp + 2)) * -1));
    values.vRMS.push(round1(volts + c * 0.05));
    values.iRMS.push(round3(Math.abs(w) / volts));
  }
  return values;
}
