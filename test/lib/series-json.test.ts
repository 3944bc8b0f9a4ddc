import { seriesJson } from '../../lib/series-json';

/** A value as devices send them: whole, or with 1-3 decimals, either sign, any magnitude up to 1e9. */
function deviceValue(random: () => number): number {
  const decimals = Math.floor(random() * 4);
  const magnitude = 10 ** Math.floor(random() * 10);
  const value = Math.round(random() * magnitude * 10 ** decimals) / 10 ** decimals;
  return random() < 0.3 ? -value : value;
}

/** A small deterministic generator, so a failure can be rerun. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('seriesJson', () => {
  it('prints exactly what JSON.stringify prints, for 200,000 values of device precision', () => {
    const random = generator(42);
    for (let round = 0; round < 200; round += 1) {
      const values = Array.from({ length: 1000 }, () => (random() < 0.02 ? null : deviceValue(random)));
      expect(seriesJson(values)).toBe(JSON.stringify(values));
    }
  });

  it.each([
    ['powers, volts and amperes', [230, 246.8, -112.2, 244.9, 1.259, 0.028, 0.3, 0.001, -0.001, 999999999.999]],
    ['zero and negative zero', [0, -0, 0.5, -0.5]],
    ['nulls and integers among decimals', [null, 1764028800, 5, 0.25, null]],
    ['large integers among decimals', [2 ** 31, 2 ** 31 - 1, 2 ** 53 - 1, -(2 ** 40), 1.5]],
    ['a value past 2^53', [1.5, 2 ** 53, 1e21, 1e300]],
    ['more than three decimals (rollup averages)', [1 / 3, 0.1 + 0.2, 244.91666666666666, 1.0005]],
    ['values at the limits of the fast form', [999999999.9995, 1e9 + 0.5, 5e-7, 1e-7, 0.0005]],
    ['not finite', [1.5, Number.NaN, Infinity, -Infinity]],
    ['integers only', [1, 2, 3, -4]],
    ['empty', []],
  ])('prints %s as JSON.stringify does', (_, values) => {
    expect(seriesJson(values)).toBe(JSON.stringify(values));
  });

  it('prints a long series (larger than its first buffer) in full', () => {
    const values = Array.from({ length: 100_000 }, (_, i) => -(i + 0.125));
    expect(seriesJson(values)).toBe(JSON.stringify(values));
  });
});
