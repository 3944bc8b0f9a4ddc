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

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

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

function noise(seed: number, t: number): number {
  const x = Math.sin(seed * 12.9898 + t * 78.233) * 43758.5453;
  return x - Math.floor(x);
}

export function channelValues(seed: number, channels: number, timestamp: number, duration: number, utcOffsetHours = 10): ChannelValues {
  const hour = (((timestamp / 3600 + utcOffsetHours) % 24) + 24) % 24;
  const volts = 240 + 5 * Math.sin(timestamp / 900 + seed) + noise(seed, timestamp) - 0.5;
  const load: number[] = [];
  for (let c = 1; c < channels; c += 1) {
    const isSolar = c === channels - 1 && channels > 2;
    const scale = 300 + ((seed * 7 + c * 131) % 900);
    load.push(isSolar ? -solar(hour) * 4000 * (0.8 + 0.2 * noise(seed + c, timestamp)) : scale * demand(hour) * (0.7 + 0.6 * noise(seed + c, timestamp)));
  }
  const grid = load.reduce((sum, watts) => sum + watts, 0);
  const watts = [grid, ...load].slice(0, channels);
  return {
    frequency: round(50 + (noise(seed, timestamp + 1) - 0.5) * 0.1, 2),
    eReal: watts.map((w) => Math.round(w * duration)),
    eReactive: watts.map((w, c) => Math.round(w * duration * (0.1 + 0.2 * noise(seed + c, timestamp + 2)) * -1)),
    vRMS: watts.map((_, c) => round(volts + c * 0.05, 1)),
    iRMS: watts.map((w) => round(Math.abs(w) / volts, 3)),
  };
}
