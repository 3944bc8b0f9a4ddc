import type { SequenceMark } from '../../telemetry/reading';

/**
 * Per-device high-water mark of (bootSeq, seq). A reading above it is new for certain and
 * goes straight to the batch; one at or below it (reordered, redelivered, replayed) is
 * looked up in storage by the writer, which tells a redelivery of the same bytes from a
 * replay. Until the worker knows a device's mark (its first reading since the worker
 * started), every reading of the device is looked up, and the writer's look-up reports the
 * mark as stored (`settle`). The mark only decides how much checking a reading needs, never
 * whether it is stored, so a worker that restarts or shares devices with other workers stays
 * correct.
 */
export class SequenceWindow {
  /** The window's own marks, moved up in place (a reading a device, 20,000 a second: no object each). */
  private readonly marks = new Map<string, SequenceMark>();

  /** True when (bootSeq, seq) is above the device's known mark (then the mark moves up). */
  advance(deviceId: string, bootSeq: number, seq: number): boolean {
    const mark = this.marks.get(deviceId);
    if (!mark || !above(bootSeq, seq, mark)) return false;
    mark.bootSeq = bootSeq;
    mark.seq = seq;
    return true;
  }

  /**
   * What storage holds for the device (its highest stored pair, or null for none) once the
   * writer has looked its readings up: the mark becomes known, and is never lowered.
   */
  settle(deviceId: string, stored: Readonly<SequenceMark> | null): void {
    const mark = this.marks.get(deviceId);
    const to = stored ?? NOTHING_STORED;
    if (!mark) this.marks.set(deviceId, { bootSeq: to.bootSeq, seq: to.seq });
    else if (above(to.bootSeq, to.seq, mark)) {
      mark.bootSeq = to.bootSeq;
      mark.seq = to.seq;
    }
  }
}

/** Below every pair: a device with nothing stored. */
const NOTHING_STORED: SequenceMark = { bootSeq: -Infinity, seq: -Infinity };

const above = (bootSeq: number, seq: number, mark: SequenceMark): boolean => bootSeq > mark.bootSeq || (bootSeq === mark.bootSeq && seq > mark.seq);
