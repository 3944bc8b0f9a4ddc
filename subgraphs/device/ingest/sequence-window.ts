/**
 * Per-device high-water mark of (bootSeq, seq). A reading above it is new for certain and
 * goes straight to the batch; one at or below it (reordered, redelivered, replayed) is
 * looked up in storage by the writer, which tells a redelivery of the same bytes from a
 * replay. The mark only decides how much checking a reading needs, never whether it is
 * stored, so a worker that restarts or shares devices with other workers stays correct.
 */
export class SequenceWindow {
  /** The window's own marks, moved up in place (a reading a device, 20,000 a second: no object each). */
  private readonly marks = new Map<string, Mark>();

  /** True when (bootSeq, seq) is above the mark (then the mark moves up). */
  advance(deviceId: string, bootSeq: number, seq: number, stored: Readonly<Mark> | null): boolean {
    let mark = this.marks.get(deviceId);
    if (stored && (!mark || above(stored.bootSeq, stored.seq, mark))) {
      if (mark) setMark(mark, stored.bootSeq, stored.seq);
      else this.marks.set(deviceId, (mark = { bootSeq: stored.bootSeq, seq: stored.seq }));
    }
    if (mark && !above(bootSeq, seq, mark)) return false;
    if (mark) setMark(mark, bootSeq, seq);
    else this.marks.set(deviceId, { bootSeq, seq });
    return true;
  }
}

interface Mark {
  bootSeq: number;
  seq: number;
}

function setMark(mark: Mark, bootSeq: number, seq: number): void {
  mark.bootSeq = bootSeq;
  mark.seq = seq;
}

const above = (bootSeq: number, seq: number, mark: Mark): boolean => bootSeq > mark.bootSeq || (bootSeq === mark.bootSeq && seq > mark.seq);
