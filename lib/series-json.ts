/**
 * `JSON.stringify` of a number series, byte for byte, faster for the values energy monitors
 * send: whole joules, volts to 0.1, amperes to 0.001, and powers (joules / 5 s) to 0.1.
 *
 * V8 prints a double that is not an integer with a general shortest-round-trip algorithm,
 * ~60 ns each: a raw day of `readingSeries` (18 such series of 17,280 values) spent ~20 ms
 * of the telemetry subgraph's CPU on it. A value with at most three decimals is printed here
 * from the integer `round(|v| * 1000)`, digit by digit into a byte buffer, in ~20 ns.
 *
 * Why that is the same text: for |v| < 1e9, if `r / 1000 === |v|` for the integer `r`, the
 * decimal r/1000 (three decimals at most) rounds to v. Two decimals of at most three
 * decimals differ by 0.001 or more, far more than the spacing of doubles below 1e9
 * (~1.2e-7), so r/1000 is the only one that does; and a decimal with fewer significant
 * digits that rounds to v would have fewer decimals, so it would be r/1000 itself. The
 * shortest decimal that rounds to v, which is what JavaScript prints (without an exponent
 * between 1e-7 and 1e21), is therefore r/1000 with its trailing zeros dropped.
 *
 * A series holding any other value (rollup averages, 1/3) is left to `JSON.stringify`
 * whole, as is one of integers only, which V8 prints fast already.
 */
export function seriesJson(values: readonly (number | null)[]): string {
  let fractions = false;
  for (let i = 0; i < values.length; i += 1) {
    const value = values[i];
    if (value === null || value === undefined) continue;
    if (Number.isInteger(value)) {
      // past 2^53 (exponents from 1e21) JSON.stringify's form is not worth repeating here
      if (value >= SAFE || value <= -SAFE) return JSON.stringify(values);
      continue;
    }
    if (!hasThreeDecimalsAtMost(value)) return JSON.stringify(values);
    fractions = true;
  }
  return fractions ? printed(values) : JSON.stringify(values);
}

const SAFE = 2 ** 53;

function hasThreeDecimalsAtMost(value: number): boolean {
  const magnitude = value < 0 ? -value : value;
  return magnitude < 1e9 && Math.round(magnitude * 1000) / 1000 === magnitude;
}

/** One buffer for every call (the subgraph prints one series at a time), grown as needed. */
let buffer = Buffer.allocUnsafe(64 * 1024);
const digits = new Uint8Array(24);

const [ZERO, MINUS, DOT, COMMA, OPEN, CLOSE] = ['0', '-', '.', ',', '[', ']'].map((c) => c.charCodeAt(0)) as [number, number, number, number, number, number];
const NULL = Buffer.from('null');

/** Every value is null, an integer, or passes hasThreeDecimalsAtMost. */
function printed(values: readonly (number | null)[]): string {
  // a value is at most 17 integer digits, a sign, a point and 3 decimals, then a comma
  const needed = values.length * 23 + 2;
  if (buffer.length < needed) buffer = Buffer.allocUnsafe(needed);
  const out = buffer;
  let at = 0;
  out[at++] = OPEN;
  for (let i = 0; i < values.length; i += 1) {
    if (i > 0) out[at++] = COMMA;
    const value = values[i];
    if (value === null || value === undefined) {
      at += NULL.copy(out, at);
      continue;
    }
    // -0 prints as 0, as JSON.stringify does
    if (value < 0) out[at++] = MINUS;
    const magnitude = value < 0 ? -value : value;
    if (Number.isInteger(magnitude)) {
      at = writeInteger(out, at, magnitude);
      continue;
    }
    const thousandths = Math.round(magnitude * 1000);
    const whole = Math.floor(thousandths / 1000);
    at = writeInteger(out, at, whole);
    let fraction = thousandths - whole * 1000;
    out[at++] = DOT;
    const tenths = Math.floor(fraction / 100);
    fraction -= tenths * 100;
    const hundredths = Math.floor(fraction / 10);
    const last = fraction - hundredths * 10;
    out[at++] = ZERO + tenths;
    if (hundredths !== 0 || last !== 0) {
      out[at++] = ZERO + hundredths;
      if (last !== 0) out[at++] = ZERO + last;
    }
  }
  out[at++] = CLOSE;
  return out.toString('latin1', 0, at);
}

/** The decimal digits of a non-negative integer below 2^53. */
function writeInteger(out: Buffer, at: number, value: number): number {
  if (value < 10) {
    out[at] = ZERO + value;
    return at + 1;
  }
  let count = 0;
  if (value < 2 ** 31) {
    let rest = value | 0;
    while (rest !== 0) {
      const next = (rest / 10) | 0;
      digits[count++] = ZERO + (rest - next * 10);
      rest = next;
    }
  } else {
    let rest = value;
    while (rest > 0) {
      const next = Math.floor(rest / 10);
      digits[count++] = ZERO + (rest - next * 10);
      rest = next;
    }
  }
  while (count > 0) out[at++] = digits[--count]!;
  return at;
}
