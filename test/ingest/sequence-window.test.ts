import { SequenceWindow } from '../../subgraphs/device/ingest/sequence-window';

describe('the sequence window', () => {
  it('takes a reading above the mark for new and moves the mark; one at or below it is not new', () => {
    const window = new SequenceWindow();
    window.settle('D1', null);
    window.settle('D2', null);
    expect(window.advance('D1', 1, 10)).toBe(true);
    expect(window.advance('D1', 1, 10)).toBe(false);
    expect(window.advance('D1', 1, 9)).toBe(false);
    expect(window.advance('D1', 1, 11)).toBe(true);
    // a reboot starts a new sequence: any seq of a higher bootSeq is above
    expect(window.advance('D1', 2, 0)).toBe(true);
    expect(window.advance('D1', 1, 12)).toBe(false);
    // devices have their own marks
    expect(window.advance('D2', 1, 5)).toBe(true);
    expect(window.advance('D1', 2, 1)).toBe(true);
  });

  it('takes nothing for new until the mark is known, and never lowers a mark it settles', () => {
    const window = new SequenceWindow();
    // the worker has not looked the device up: every reading is checked in storage
    expect(window.advance('D1', 3, 100)).toBe(false);
    expect(window.advance('D1', 3, 101)).toBe(false);
    expect(window.advance('D1', 4, 0)).toBe(false);
    // the writer reports what is stored
    window.settle('D1', { bootSeq: 3, seq: 101 });
    expect(window.advance('D1', 3, 101)).toBe(false);
    expect(window.advance('D1', 3, 102)).toBe(true);
    // a lower report (a batch looked up before the mark moved) does not lower it
    window.settle('D1', { bootSeq: 3, seq: 50 });
    expect(window.advance('D1', 3, 102)).toBe(false);
    // a higher one (another worker stored more since) is taken up
    window.settle('D1', { bootSeq: 3, seq: 200 });
    expect(window.advance('D1', 3, 150)).toBe(false);
    expect(window.advance('D1', 3, 201)).toBe(true);
    // nothing stored: every pair is above, seq 0 of boot 0 included
    window.settle('D2', null);
    expect(window.advance('D2', 0, 0)).toBe(true);
  });
});
