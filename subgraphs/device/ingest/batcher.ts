import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { Logger } from '../../../lib/logger';
import { recordLatest } from '../../telemetry/latest-store';
import type { DeadLetter, IncomingReading, SequenceMark } from '../../telemetry/reading';
import { writeBatch } from '../../telemetry/store-write';
import type { Verdict } from './check-message';
import { recordStatuses } from './device-status';
import type { IngestMetrics } from './metrics';
import type { SequenceWindow } from './sequence-window';

interface Item {
  verdict: Verdict;
  ack: () => void;
  receivedAt: number;
}

export interface BatcherOptions {
  pool: Pool;
  redis: Redis;
  logger: Logger;
  metrics: IngestMetrics;
  /** Flush at this many messages... */
  maxItems: number;
  /** ...or this long after the first one waits, whichever comes first. */
  maxDelayMs: number;
  /** Batches committing at once (each on its own connection); acknowledgements stay in batch order. */
  maxInFlight: number;
  /** Batches with at least this many readings defer their rollups to the fold (store-write). */
  deferRollupsFrom: number;
  /** The checks' sequence window: told the high-water marks the writer looked up. */
  window?: SequenceWindow;
}

/**
 * Buffers checked messages and commits them in size- and time-bounded batches, up to
 * `maxInFlight` at once: a commit waits mostly on the database (round trips, fsync), so a
 * second batch overlaps the first instead of queuing behind it. Each message is
 * acknowledged only after the commit that holds it (readings, or dead letters for
 * rejections), and batches release their acknowledgements in the order they were cut; a
 * failed batch is retried with backoff, not dropped.
 */
export class Batcher {
  private queue: Item[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private acks: Promise<void> = Promise.resolve();
  private failures = 0;
  private abandoned = false;

  constructor(private readonly options: BatcherOptions) {
    options.metrics.reportBuffered(() => this.queue.length);
  }

  add(verdict: Verdict, ack: () => void, receivedAt: number): void {
    this.queue.push({ verdict, ack, receivedAt });
    if (this.queue.length >= this.options.maxItems) this.kick(0);
    else this.kick(this.options.maxDelayMs);
  }

  get size(): number {
    return this.queue.length;
  }

  /** A full batch is waiting beyond the ones committing: the database is not keeping up. */
  get behind(): boolean {
    return this.queue.length >= this.options.maxItems;
  }

  /** Commits everything buffered (graceful stop); gives up after `timeoutMs`. */
  async drain(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.queue.length > 0 || this.inFlight.size > 0) && Date.now() < deadline) {
      this.kick(0);
      await Promise.race([...this.inFlight, new Promise((resolve) => setTimeout(resolve, 50))]);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Drops everything unacknowledged (fast stop): the broker redelivers it to the next session. */
  abandon(): void {
    this.abandoned = true;
    this.queue = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private kick(delayMs: number): void {
    if (this.inFlight.size >= this.options.maxInFlight || this.abandoned || this.queue.length === 0) return;
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const others = [...this.inFlight];
      const flushing: Promise<void> = this.flush(others).finally(() => {
        this.inFlight.delete(flushing);
        // what queued up during the flush has waited already: go again at once (batches
        // grow with the load), unless the database is failing
        if (this.queue.length > 0) this.kick(this.failures === 0 ? 0 : this.backoff());
      });
      this.inFlight.add(flushing);
      // room for another batch: a full one goes at once, a partial one waits its delay
      if (this.queue.length >= this.options.maxItems) this.kick(0);
      else this.kick(this.options.maxDelayMs);
    }, delayMs);
  }

  private backoff(): number {
    return Math.min(100 * 2 ** this.failures, 5000);
  }

  private async flush(others: Promise<void>[]): Promise<void> {
    const items = this.queue.splice(0, this.options.maxItems);
    if (items.length === 0) return;
    const { metrics, logger } = this.options;
    // no object per reading beyond what the checks made: these live until the commit, and
    // what lives that long the garbage collector copies and promotes
    const readings: IncomingReading[] = [];
    const letters: DeadLetter[] = [];
    const statuses: Item[] = [];
    for (const item of items) {
      if (item.verdict.kind === 'reading') readings.push(item.verdict.reading);
      else if (item.verdict.kind === 'rejected') letters.push(item.verdict.letter);
      else statuses.push(item);
    }
    // a reading below its device's high-water mark is looked up in storage: a batch still
    // committing could hold its twin, so such a batch waits for the ones before it
    const looksUp = readings.some((reading) => !reading.fresh);
    if (looksUp) await Promise.allSettled(others);
    const started = Date.now();
    let outcomes;
    const marks = looksUp && this.options.window ? new Map<string, SequenceMark | null>() : undefined;
    try {
      const deferRollups = readings.length >= this.options.deferRollupsFrom;
      outcomes = await writeBatch(this.options.pool, readings, letters, { deferRollups, marks });
    } catch (error) {
      this.failures += 1;
      metrics.flushFailures.inc();
      logger.warn({ err: error, messages: items.length, attempt: this.failures }, 'ingest: batch not committed, will retry');
      if (!this.abandoned) this.queue.unshift(...items);
      return;
    }
    this.failures = 0;
    // the devices' marks are known from here on (what was stored before, then what this
    // batch stored): their next readings above them are fresh
    if (marks) {
      const window = this.options.window!;
      for (const [deviceId, mark] of marks) window.settle(deviceId, mark);
      readings.forEach((reading, i) => {
        if (!reading.fresh && outcomes[i] === 'stored') window.settle(reading.deviceId, reading);
      });
    }
    if (this.abandoned) return;
    const stored = readings.filter((_, i) => outcomes[i] === 'stored');
    await this.updateRedis(stored, statuses);
    const committed = Date.now();
    const previous = this.acks;
    this.acks = previous.then(() => {
      for (const item of items) item.ack();
    });
    await this.acks;
    for (const item of items) metrics.lagSeconds.observe((committed - item.receivedAt) / 1000);
    metrics.stored.inc(stored.length);
    metrics.duplicates.inc(outcomes.filter((o) => o === 'duplicate').length);
    const replays = outcomes.filter((o) => o === 'replay').length;
    if (replays) metrics.rejected.inc({ reason: 'replay' }, replays);
    for (const letter of letters) metrics.rejected.inc({ reason: letter.reason });
    metrics.statuses.inc(statuses.length);
    metrics.batchSize.observe(items.length);
    metrics.batchSeconds.observe((committed - started) / 1000);
  }

  /**
   * Redis holds a cache of the newest reading (PostgreSQL is the record) and the device
   * status: a Redis outage is logged and the next reading repairs the cache.
   */
  private async updateRedis(stored: IncomingReading[], statuses: Item[]): Promise<void> {
    const newest = new Map<string, IncomingReading>();
    for (const reading of stored) {
      const current = newest.get(reading.deviceId);
      if (!current || current.timestamp < reading.timestamp) newest.set(reading.deviceId, reading);
    }
    try {
      await Promise.all([
        // a reading is a LatestItem (deviceId, tenantId, timestamp, payload, receivedAt)
        recordLatest(this.options.redis, [...newest.values()]),
        recordStatuses(
          this.options.redis,
          statuses.flatMap(({ verdict, receivedAt }) => (verdict.kind === 'status' ? [{ deviceId: verdict.deviceId, status: verdict.status, receivedAt: new Date(receivedAt) }] : [])),
        ),
      ]);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'ingest: latest reading or status not written to Redis');
    }
  }
}
