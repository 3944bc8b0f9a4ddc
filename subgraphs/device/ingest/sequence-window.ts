/**
 * Per-device high-water mark of (bootSeq, seq). A reading above it is new for certain and
 * goes straight to the batch; one at or below it (reordered, redelivered, replayed) is
 * looked up in storage by the writer, which tells a redelivery of the same bytes from a
 * replay. The mark only decides how much checking a reading needs, never whether it is
 * stored, so a worker that restarts or shares devices with other workers stays correct.
 */
export class SequenceWindow {
  private readonly marks = new Map<string, { bootSeq: number; seq: number }>();

  /** True when (bootSeq, seq) is above the mark (then the mark moves up). */
  advance(deviceId: string, bootSeq: number, seq: number, stored: { bootSeq: number; seq: number } | null): boolean {
    let mark = this.marks.get(deviceId);
    if (stored && (!mark || above(stored, mark))) mark = stored;
    const fresh = !mark || above({ bootSeq, seq }, mark);
    if (fresh) this.marks.set(deviceId, { bootSeq, seq });
    else if (mark) this.marks.set(deviceId, mark);
    return fresh;
  }
}

const above = (a: { bootSeq: number; seq: number }, b: { bootSeq: number; seq: number }): boolean =>
  a.bootSeq > b.bootSeq || (a.bootSeq === b.bootSeq && a.seq > b.seq);
