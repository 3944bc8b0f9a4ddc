import crypto from 'node:crypto';
import os from 'node:os';
import mqtt, { type MqttClient } from 'mqtt';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { Config } from '../../../lib/config';
import { UnreachableError, unreachableMessage } from '../../../lib/dependencies';
import type { Logger } from '../../../lib/logger';
import { pruneDeadLetters } from '../../telemetry/dead-letters';
import { ensurePartitions } from '../../telemetry/partitions';
import { foldRollups, refreshRollups } from '../../telemetry/rollup-fold';
import { PENDING_PARTS } from '../../telemetry/rollups';
import { REPLAY_LOOKBACK_MS, storedMarks } from '../../telemetry/store-write';
import { Batcher } from './batcher';
import { checkCachedMessage, checkMessage, type CheckOptions, type Deferred, type IncomingMessage, type Verdict } from './check-message';
import { DeviceDirectory } from './device-keys';
import { createIngestMetrics, type IngestMetrics } from './metrics';
import { readPublishes, type PublishReader } from './publish-reader';
import { SequenceWindow } from './sequence-window';
import { parseTopic, subscriptionFilter } from './topics';
import { HEARTBEAT_MS, recordStopped, recordWorker } from './worker-registry';

export interface IngestWorkerOptions {
  /** Shared-subscription group (CONTRACT §6: `ingest`); tests use their own. */
  group: string;
  /** Region filter of the subscription, `+` for all. */
  region: string;
  /** Stable per worker instance, so that its persistent session survives a restart. */
  clientId: string;
  batchSize: number;
  batchDelayMs: number;
  /** Batches committing at once. */
  batchesInFlight: number;
  /** From this many readings a batch parks its rollup sums for the fold (store-write). */
  deferRollupsFrom: number;
  /** How often each partition of the parked rollup sums is folded into the rollups (their lag under load; twice that while the worker is behind). */
  rollupFoldMs: number;
  /** How often HOUR and DAY buckets marked stale and over are looked for and recomputed (rollup-fold.ts refreshRollups). */
  rollupRefreshMs: number;
  /** How often keys created or rotated since the last look are loaded (all are loaded at start). */
  keyRefreshMs: number;
  /** How long the broker keeps the session (and queues messages) while the worker is away. */
  sessionExpirySeconds: number;
  /** Unacknowledged messages the broker may send at once: the worker's buffer bound (enforced by DeferredAcks too). */
  receiveMaximum: number;
  maxSkewSeconds: number;
  maxDeadLetters: number;
  /**
   * Drain the session of `clientId` instead of serving: on connecting, the worker leaves the
   * group (so the broker hands it nothing new) and stores what the broker had queued for
   * that session (`ingest retire`). No heartbeat is recorded.
   */
  retire: boolean;
}

export interface IngestWorker {
  readonly metrics: IngestMetrics;
  /** Connects and subscribes; resolves once subscribed (then reconnects by itself). */
  start(): Promise<void>;
  /**
   * Stops taking messages, commits and acknowledges what is buffered, disconnects.
   * `{ drain: false }` drops the buffer unacknowledged instead, as a crash would;
   * `{ endSession: true }` has the broker end the session on disconnecting (and forget it).
   */
  stop(options?: { drain?: boolean; endSession?: boolean }): Promise<void>;
  connected(): boolean;
  /** QoS 1 messages received on this connection and not yet acknowledged (not yet committed). */
  unacknowledged(): number;
}

/**
 * Mosquitto hands a shared subscription's messages round-robin to every member session,
 * offline persistent ones included (measured: 5 of 10 waited for the absent member). So the
 * client id must be stable per instance (host and port), and a test run, whose database is
 * throwaway, joins a group of its own with a short session: a finished run must never hold
 * a development worker's messages hostage.
 */
export function defaultIngestOptions(config: Config): IngestWorkerOptions {
  const test = config.CYPERNEX_ENV === 'test';
  const database = crypto.createHash('sha256').update(config.DATABASE_URL).digest('hex').slice(0, 10);
  return {
    group: config.INGEST_GROUP ?? (test ? `ingest-${database}` : 'ingest'),
    region: '+',
    clientId: `cypernex-ingest-${os.hostname()}-${config.INGEST_PORT}${test ? `-${database}` : ''}`,
    batchSize: 5000,
    batchDelayMs: 200,
    batchesInFlight: 2,
    // below this a batch upserts the rollups itself (in step with the readings, at idle
    // load); at 30,000 devices (6,000 readings/s, batches of ~500) 500 sent half the
    // batches that way: PostgreSQL 60.9 µs per reading, 38.9 with 100 (docs/benchmarks.md)
    deferRollupsFrom: 100,
    rollupFoldMs: config.INGEST_FOLD_SECONDS * 1000,
    // an hour's sixteen parts are recomputed within a few ticks of its end (plus the grace)
    rollupRefreshMs: 5_000,
    keyRefreshMs: 30_000,
    sessionExpirySeconds: config.INGEST_SESSION_EXPIRY_SECONDS ?? (test ? 300 : 7 * 86_400),
    receiveMaximum: 30_000,
    maxSkewSeconds: 30,
    maxDeadLetters: 100_000,
    retire: false,
  };
}

/**
 * A partition folded within this long is skipped on its turn (the turn comes once per fold
 * interval). While the worker is behind, every other turn: a fold costs PostgreSQL about
 * the same per device whatever it adds up, so folding half as often leaves more of the
 * machine for the readings themselves (measured at 100,000 devices, 300 s: 5-6 µs less
 * PostgreSQL CPU per reading, 8 % more readings stored; docs/benchmarks.md), and the
 * rollups lag up to two intervals only while the readings lag too.
 */
export function foldSkipWindowMs(intervalMs: number, behind: boolean): number {
  return intervalMs * (behind ? 1.9 : 0.9);
}

export function createIngestWorker(deps: {
  config: Config;
  pool: Pool;
  redis: Redis;
  logger: Logger;
  options?: Partial<IngestWorkerOptions>;
}): IngestWorker {
  const { config, pool, redis, logger } = deps;
  const options = { ...defaultIngestOptions(config), ...deps.options };
  const metrics = createIngestMetrics();
  const window = new SequenceWindow();
  const batcher = new Batcher({
    pool,
    redis,
    logger,
    metrics,
    maxItems: options.batchSize,
    maxDelayMs: options.batchDelayMs,
    maxInFlight: options.batchesInFlight,
    deferRollupsFrom: options.deferRollupsFrom,
    window,
  });
  const directory = new DeviceDirectory(pool, config.masterKey, { region: options.region });
  const checks: CheckOptions = {
    directory,
    window,
    maxSkewSeconds: options.maxSkewSeconds,
    // a reading older than the replay look-back could not be checked for replay
    maxAgeSeconds: REPLAY_LOOKBACK_MS / 1000 - 86_400,
  };
  let client: MqttClient | null = null;
  let connection: { current(): PublishReader | null } | null = null;
  let stopping = false;
  let subscribed = false;
  const timers: NodeJS.Timeout[] = [];

  // One partition of the parked deltas at a time, round-robin, so the fold's database work
  // is spread over the interval instead of arriving all at once; one fold at a time in
  // this process; a failed fold leaves its deltas for the partition's next turn.
  let folding: Promise<void> | null = null;
  let nextPart = 0;
  // a partition another worker folded within most of the interval is left for its next turn
  const fold = (part?: number): Promise<void> =>
    (folding ??= foldRollups(pool, part, part === undefined ? {} : { unlessFoldedWithinMs: foldSkipWindowMs(options.rollupFoldMs, batcher.behind) })
      .then((folded) => metrics.rollupDeltasFolded.inc(folded))
      .catch((error) => logger.warn({ err: error }, 'ingest: rollup deltas not folded, will retry'))
      .finally(() => {
        folding = null;
      }));

  let refreshing: Promise<void> | null = null;
  const refresh = (): Promise<void> =>
    (refreshing ??= refreshRollups(pool)
      .then((refreshed) => metrics.rollupBucketsRefreshed.inc(refreshed))
      .catch((error) => logger.warn({ err: error }, 'ingest: stale HOUR and DAY rollups not recomputed, will retry'))
      .finally(() => {
        refreshing = null;
      }));

  const maintain = () => {
    ensurePartitions(pool).catch((error) => logger.warn({ err: error }, 'ingest: partitions not prepared'));
    pruneDeadLetters(pool, { maxRows: options.maxDeadLetters, maxAgeDays: 30 }).catch((error) =>
      logger.warn({ err: error }, 'ingest: dead letters not pruned'),
    );
  };

  // A dependency outage (key lookup) must neither crash the worker nor lose the message:
  // it is retried until it can be judged, and acknowledged only after its batch commits.
  // One warning a second at most: thousands of held messages failing at once each logging a
  // stack trace took 14 % of the worker's CPU in the stalled 100,000-device run.
  let lastRetryWarning = 0;
  const handle = async (message: IncomingMessage, deferred: Deferred, ack: () => void) => {
    const { topic, receivedAt } = message;
    for (let attempt = 0; !stopping; attempt += 1) {
      try {
        const verdict = await checkMessage(message, checks, deferred);
        batcher.add(verdict, ack, receivedAt.getTime());
        return;
      } catch (error) {
        if (Date.now() - lastRetryWarning >= 1000) {
          lastRetryWarning = Date.now();
          logger.warn({ err: error, topic, attempt }, 'ingest: message could not be checked, retrying (further warnings this second omitted)');
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 5000)));
      }
    }
  };

  return {
    metrics,
    connected: () => Boolean(client?.connected && subscribed),
    unacknowledged: () => connection?.current()?.pending ?? 0,

    async start() {
      await ensurePartitions(pool);
      stopping = false;
      // every key in memory before the first message: see DeviceDirectory
      const warming = Date.now();
      const devices = await directory.warm();
      // and their high-water marks (a device registered later has its first reading looked up)
      for (const [deviceId, mark] of await storedMarks(pool, options.region)) window.settle(deviceId, mark);
      logger.info({ devices, ms: Date.now() - warming }, 'ingest: device keys and high-water marks loaded');
      const mqttClient = mqtt.connect(config.MQTT_URL, {
        protocolVersion: 5,
        clientId: options.clientId,
        clean: false,
        properties: { sessionExpiryInterval: options.sessionExpirySeconds, receiveMaximum: options.receiveMaximum },
        reconnectPeriod: 1000,
        connectTimeout: 5000,
        keepalive: 30,
        resubscribe: false,
        // every connection goes through a PublishReader, set up before the first one
        manualConnect: true,
        // MQTT.js's debug logging (DEBUG=mqttjs*) checks whether it is on for every packet,
        // a cost on the hot path; it stays available when asked for
        ...(process.env.DEBUG ? {} : { log: () => undefined }),
      });
      client = mqttClient;
      const filter = subscriptionFilter(options.group, options.region);
      mqttClient.on('error', (error) => logger.warn({ err: error }, 'ingest: mqtt error'));
      mqttClient.on('close', () => {
        subscribed = false;
      });
      // MQTT.js times the connection out when no PINGRESP is handled within 1.5 keepalives,
      // but a PINGRESP queues behind every PUBLISH the broker wrote before it (tens of
      // thousands under load, read at the pace of commits): a reconnect then made the broker
      // redeliver everything unacknowledged (measured: 130,000 duplicates in a 120 s run).
      // A message that arrives proves the connection alive as well as a PINGRESP does.
      let lastPublishAt = 0;
      let lastReceivedAt = new Date(0);
      connection = readPublishes(
        mqttClient,
        (publish, reader) => {
          const ack = reader.hold(publish);
          // while stopping nothing is acknowledged: the broker redelivers on the next session
          if (stopping) return;
          // the messages of one millisecond share their Date: it lives until their commit
          const now = Date.now();
          if (now !== lastReceivedAt.getTime()) lastReceivedAt = new Date(now);
          const receivedAt = lastReceivedAt;
          if (now - lastPublishAt >= 1000) {
            lastPublishAt = now;
            mqttClient.reschedulePing(true);
          }
          const { topic, payload, mac } = publish;
          const parsed = parseTopic(topic);
          metrics.countReceived(parsed?.kind ?? 'unknown');
          // a device whose keys are in memory is judged at once; the rest (keys to load, a
          // MAC to retry after a key reload, anything that throws) go the waiting way
          let verdict: Verdict | Deferred;
          try {
            verdict = checkCachedMessage({ topic, parsed, payload, mac, receivedAt }, checks);
          } catch {
            verdict = 'load-keys';
          }
          if (typeof verdict === 'object') batcher.add(verdict, ack, now);
          else void handle({ topic, parsed, payload, mac, receivedAt }, verdict, ack);
        },
        options.receiveMaximum,
      );
      const ready = new Promise<void>((resolve, reject) => {
        const timeout = setTimeout(() => reject(new Error(`no MQTT connection within 5 s (${config.MQTT_URL})`)), 5000);
        mqttClient.on('connect', () => {
          if (options.retire) {
            // what the session has queued still arrives; nothing new is routed to it
            mqttClient.unsubscribe(filter, (error) => {
              if (error) logger.error({ err: error, filter }, 'ingest: unsubscribe failed');
              subscribed = !error;
              clearTimeout(timeout);
              if (error) reject(error);
              else resolve();
            });
            return;
          }
          mqttClient.subscribe(filter, { qos: 1 }, (error) => {
            if (error) {
              logger.error({ err: error, filter }, 'ingest: subscribe failed');
              return;
            }
            subscribed = true;
            clearTimeout(timeout);
            logger.info({ filter, clientId: options.clientId }, 'ingest: subscribed');
            resolve();
          });
        });
      });
      mqttClient.connect();
      try {
        await ready;
      } catch (error) {
        await mqttClient.endAsync(true);
        throw new UnreachableError(unreachableMessage('ingest', 'MQTT', config.MQTT_URL, error));
      }
      if (!options.retire) {
        const session = { clientId: options.clientId, group: options.group, region: options.region, sessionExpirySeconds: options.sessionExpirySeconds };
        const heartbeat = (started: boolean) => recordWorker(pool, session, started).catch((error) => logger.warn({ err: error }, 'ingest: worker session not recorded'));
        await heartbeat(true);
        timers.push(setInterval(() => void heartbeat(false), HEARTBEAT_MS).unref());
      }
      maintain();
      timers.push(setInterval(maintain, 3_600_000).unref());
      timers.push(setInterval(() => void fold((nextPart = (nextPart + 1) % PENDING_PARTS)), options.rollupFoldMs / PENDING_PARTS).unref());
      timers.push(setInterval(() => void refresh(), options.rollupRefreshMs).unref());
      timers.push(
        setInterval(() => {
          directory.refresh().catch((error) => logger.warn({ err: error }, 'ingest: device keys not refreshed, will retry'));
        }, options.keyRefreshMs).unref(),
      );
    },

    async stop({ drain = true, endSession = false } = {}) {
      stopping = true;
      for (const timer of timers.splice(0)) clearInterval(timer);
      if (drain) {
        await batcher.drain();
        await folding;
        await fold();
        await refreshing;
      } else batcher.abandon();
      if (client) await client.endAsync(!drain, endSession ? { properties: { sessionExpiryInterval: 0 } } : {});
      if (client && !options.retire) await recordStopped(pool, options.clientId).catch((error) => logger.warn({ err: error }, 'ingest: worker stop not recorded'));
      client = null;
    },
  };
}
