import { telemetryTopic } from '../ingest/topics';
import { readingMessage, type SimulatedDevice } from './message';
import { RawPublisher } from './raw-publisher';

export interface SimulatorOptions {
  mqttUrl: string;
  devices: SimulatedDevice[];
  intervalSeconds: number;
  /**
   * MQTT connections to carry the fleet. A real device has one each; 100,000 sockets from
   * one process would measure the simulator, not the platform, so the benchmark multiplexes
   * many devices per connection (topics and signatures stay per device).
   */
  connections: number;
  qos: 0 | 1;
  /** Called with (deviceId, timestamp, publishedAt) for every reading the broker accepted. */
  onPublished?: (deviceId: string, timestamp: number, publishedAt: number) => void;
  /**
   * Called for every reading whose publish ended without the broker's acknowledgement (its
   * connection dropped, or the simulator stopped waiting): the broker may or may not have it.
   */
  onUnacknowledged?: (deviceId: string, timestamp: number) => void;
}

export interface SimulatorStats {
  devices: number;
  published: number;
  /** Readings sent whose acknowledgement never came (also counted in `errors`). */
  unacknowledged: number;
  errors: number;
  inFlight: number;
  /** Readings due but not yet handed to MQTT (the connections are at their in-flight cap). */
  backlog: number;
}

const TICK_MS = 50;
/**
 * Unacknowledged QoS 1 publishes per connection. MQTT packet ids are 16-bit: beyond 65,535
 * in flight MQTT.js reuses ids and loses callbacks (measured: a stalled run that never
 * finished), so an overloaded broker makes readings wait here, counted, instead. Well
 * below that too: with 30,000 per connection the 100,000-device run kept 240,000 messages
 * in MQTT.js's stores and socket buffers and spent its CPU on them (1 GB, ~2,500 acks/s).
 */
const MAX_IN_FLIGHT_PER_CONNECTION = 2_000;

/**
 * How many of `total` devices are due after `elapsedMs`, at one reading per device per
 * `intervalMs`, the fraction of a reading carried to the next call: a small fleet (7
 * devices: one due every 714 ms) gets exactly its rate. Rounding each tick instead, as
 * before, counted half a reading as one and had the README's 7 demo devices publish a
 * 5-second reading every 2.7 s. At most `total` at once (after a stall, a device's reading
 * still waiting makes it skip the next).
 */
export function readingCadence(total: number, intervalMs: number): (elapsedMs: number) => number {
  let owed = 0;
  return (elapsedMs) => {
    owed += (Math.max(0, elapsedMs) / intervalMs) * total;
    const due = Math.floor(owed);
    owed -= due;
    return Math.min(total, due);
  };
}

/**
 * Plays a fleet: each device publishes one signed reading per interval, devices spread
 * evenly over the interval (as a real fleet's clocks are), so the load is smooth.
 */
export function createSimulator(options: SimulatorOptions) {
  const stats: SimulatorStats = { devices: options.devices.length, published: 0, unacknowledged: 0, errors: 0, inFlight: 0, backlog: 0 };
  const clients: RawPublisher[] = [];
  const inFlight: number[] = [];
  let timer: NodeJS.Timeout | null = null;
  let cursor = 0;
  let lastTick = 0;
  const cadence = readingCadence(options.devices.length, options.intervalSeconds * 1000);

  const publish = (connection: number, device: SimulatedDevice, timestamp: number) => {
    const { payload, mac } = readingMessage(device, timestamp);
    stats.inFlight += 1;
    inFlight[connection]! += 1;
    clients[connection]!.publish(telemetryTopic(device.region, device.deviceId, 'se'), payload, mac, options.qos, (error) => {
      stats.inFlight -= 1;
      inFlight[connection]! -= 1;
      drainSoon();
      if (error) {
        stats.errors += 1;
        stats.unacknowledged += 1;
        options.onUnacknowledged?.(device.deviceId, timestamp);
      } else {
        stats.published += 1;
        options.onPublished?.(device.deviceId, timestamp, Date.now());
      }
    });
  };

  const tick = () => {
    const now = Date.now();
    const due = cadence(now - lastTick);
    lastTick = now;
    stats.backlog = Math.min(options.devices.length, stats.backlog + due);
    drain();
  };

  // Publishes what is due while the connections have room; acknowledgements that make room
  // call it again (once per turn of the event loop), so a broker with a small Receive
  // Maximum (Mosquitto announces 20 by default) is kept busy between ticks.
  let draining = false;
  const drainSoon = () => {
    if (draining || stats.backlog === 0) return;
    draining = true;
    setImmediate(() => {
      draining = false;
      drain();
    });
  };
  const drain = () => {
    const total = options.devices.length;
    const timestamp = Math.floor(Date.now() / 1000);
    while (stats.backlog > 0) {
      const index = cursor % total;
      const connection = index % clients.length;
      const client = clients[connection]!;
      // readings wait (counted in the backlog) while their connection is re-established
      if (!client.isConnected || (options.qos === 1 && inFlight[connection]! >= Math.min(MAX_IN_FLIGHT_PER_CONNECTION, client.receiveMaximum))) break;
      cursor += 1;
      stats.backlog -= 1;
      publish(connection, options.devices[index]!, timestamp);
    }
  };

  return {
    stats,
    async start(): Promise<void> {
      for (let i = 0; i < Math.max(1, options.connections); i += 1) {
        const client = new RawPublisher({
          url: options.mqttUrl,
          clientId: `cypernex-sim-${process.pid}-${i}`,
          reconnectMs: 1000,
          onError: () => {
            stats.errors += 1;
          },
        });
        await client.connect();
        clients.push(client);
        inFlight.push(0);
      }
      lastTick = Date.now();
      timer = setInterval(tick, TICK_MS);
    },
    /**
     * Stops publishing and waits up to `waitMs` for the acknowledgements still due. Publishes
     * the broker never acknowledged are not counted as published (they are reported to
     * `onUnacknowledged`); waiting for them forever would keep a benchmark from reporting.
     */
    async stop(waitMs = 10_000): Promise<void> {
      if (timer) clearInterval(timer);
      await Promise.all(clients.map((client) => client.end(waitMs)));
    },
  };
}
