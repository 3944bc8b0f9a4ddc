import crypto from 'node:crypto';
import { PackedSeries, seriesMarker, unpackSeries } from '../../lib/series-wire';
import { NumberSeries } from '../../schema/scalars';

const marker = seriesMarker(crypto.randomBytes(32));
const pack = (values: (number | null)[]) => new PackedSeries(values, marker);

describe('packed NumberSeries on the subgraph-gateway wire', () => {
  it('writes exactly what the plain arrays would have been, however they sit in the answer', () => {
    const columns: (number | null)[][] = [[1150, -560, 0.028, 1e-7, -0, 1.7976931348623157e308, 5e-324], [null, 2, null], [], [244.9]];
    const answer = (series: (values: (number | null)[]) => unknown) => ({
      data: { device: { id: 'D000000000001', readingSeries: { count: 3, a: series(columns[0]!), b: series(columns[1]!), c: { d: [series(columns[2]!), series(columns[3]!)] } } } },
    });
    const plain = JSON.stringify(answer((values) => values));
    // the subgraph's answer as the gateway parses it: each series one string
    const wire = JSON.parse(JSON.stringify(answer(pack))) as { data: { device: { readingSeries: { a: unknown } } } };
    expect(wire.data.device.readingSeries.a).toBe(marker + JSON.stringify(columns[0]));
    // and as the gateway writes it for the client
    expect(unpackSeries(JSON.stringify(wire), marker)).toBe(plain);
  });

  it('passes a packed series through the NumberSeries scalar only when its values are finite numbers or nulls', () => {
    const good = pack([1, null, 2.5]);
    expect(NumberSeries.serialize(good)).toBe(good);
    expect(() => NumberSeries.serialize(pack([1, NaN]))).toThrow(/position 1 is NaN/);
    expect(() => NumberSeries.serialize(pack([Infinity]))).toThrow(/finite numbers and nulls only/);
  });

  it('leaves a string alone unless it is the marker followed by numbers, nulls and commas', () => {
    const strings = [
      `${marker}[1,"x"]`, // a quote: structure
      `${marker}{"a":1}`,
      `${marker}[1,2]]`,
      `${marker}[1,2`,
      `${marker}1,2`,
      `${marker}[true]`,
      `${marker}[1]\\u0000`,
      `${marker}[1,\n2]`,
      `x"${marker}[1,2]`, // the marker after an escaped quote, inside a string
      `x\\"${marker}[1,2]`,
      'cxs:0000000000000000:[1,2]', // another deployment's (or a guessed) tag
      'cxs:[1,2]',
    ];
    for (const name of strings) {
      const json = JSON.stringify({ data: { name } });
      expect(JSON.parse(unpackSeries(json, marker))).toEqual({ data: { name } });
    }
    // the next genuine one after a refused one is still put back
    const json = JSON.stringify({ data: { name: `${marker}[1,"x"]`, series: `${marker}[1,null,-2.5e-7]` } });
    expect(JSON.parse(unpackSeries(json, marker))).toEqual({ data: { name: `${marker}[1,"x"]`, series: [1, null, -2.5e-7] } });
  });

  it('derives one marker per master key', () => {
    const key = crypto.randomBytes(32);
    expect(seriesMarker(key)).toBe(seriesMarker(key));
    expect(seriesMarker(key)).not.toBe(seriesMarker(crypto.randomBytes(32)));
    expect(seriesMarker(key)).toMatch(/^cxs:[0-9a-f]{16}:$/);
  });
});
