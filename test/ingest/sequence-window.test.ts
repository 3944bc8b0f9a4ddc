import { SequenceWindow } from '../../subgraphs/device/ingest/sequence-window';

describe('the sequence window', () => {
  it('takes a reading above the mark for new and moves the mark; one at or below it is not new', () => {
    const window = new SequenceWindow();
    expect(window.advance('D1', 1, 10, null)).toBe(true);
    expect(window.advance('D1', 1, 10, null)).toBe(false);
    expect(window.advance('D1', 1, 9, null)).toBe(false);
    expect(window.advance('D1', 1, 11, null)).toBe(true);
    // a reboot starts a new sequence: any seq of a higher bootSeq is above
    expect(window.advance('D1', 2, 0, null)).toBe(true);
    expect(window.advance('D1', 1, 12, null)).toBe(false);
    // devices have their own marks
    expect(window.advance('D2', 1, 5, null)).toBe(true);
    expect(window.advance('D1', 2, 1, null)).toBe(true);
  });

  it('starts from the stored high-water mark, and never lowers its own to it', () => {
    const window = new SequenceWindow();
    const stored = { bootSeq: 3, seq: 100 };
    expect(window.advance('D1', 3, 100, stored)).toBe(false);
    expect(window.advance('D1', 3, 101, stored)).toBe(true);
    expect(window.advance('D1', 3, 101, stored)).toBe(false);
    // the stored mark is read, not moved
    expect(stored).toEqual({ bootSeq: 3, seq: 100 });
    // a higher stored mark (another worker stored more since) is taken up
    expect(window.advance('D1', 3, 150, { bootSeq: 3, seq: 200 })).toBe(false);
    expect(window.advance('D1', 3, 201, stored)).toBe(true);
  });
});
