import { emptyColumns, joinColumns } from '../../subgraphs/telemetry/store-series';
import type { ReadingColumns } from '../../subgraphs/telemetry/reading';

const part = (timestamps: number[], width: number, withFrequency = true): ReadingColumns => ({
  timestamps,
  durations: timestamps.map(() => 5),
  frequency: withFrequency ? timestamps.map((t) => t / 100) : undefined,
  channels: Array.from({ length: width }, (_, c) => ({ eReal: timestamps.map((t) => t + c), vRMS: timestamps.map(() => 240 + c) })),
});

describe('joinColumns (a split window read as one)', () => {
  it('puts the halves one after the other, column by column', () => {
    const joined = joinColumns([part([0, 5], 2), part([10], 2)]);
    expect(joined).toEqual({
      timestamps: [0, 5, 10],
      durations: [5, 5, 5],
      frequency: [0, 0.05, 0.1],
      channels: [
        { eReal: [0, 5, 10], eReactive: undefined, vRMS: [240, 240, 240], iRMS: undefined },
        { eReal: [1, 6, 11], eReactive: undefined, vRMS: [241, 241, 241], iRMS: undefined },
      ],
    });
  });

  it('keeps a half alone when the other is empty or absent, and leaves unasked columns out', () => {
    const only = part([10, 15], 3, false);
    expect(joinColumns([undefined, only])).toBe(only);
    expect(joinColumns([emptyColumns(), only])).toBe(only);
    expect(joinColumns([undefined, undefined])).toEqual(emptyColumns());
  });

  it('refuses halves of different channel counts (read as rows then)', () => {
    expect(joinColumns([part([0], 6), part([5], 4)])).toBeNull();
  });
});
