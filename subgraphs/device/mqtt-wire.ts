/**
 * MQTT 5 on the wire, for the two hot paths that bypass MQTT.js: the simulator's
 * publishing (simulator/raw-publisher.ts) and the ingestion worker's reading of PUBLISH
 * packets (ingest/publish-reader.ts). Framing is §2.1, PUBLISH §3.3.
 */

/** A peer that breaks the protocol: the connection is closed, as MQTT.js does on a parse error. */
export class MqttProtocolError extends Error {
  readonly code = 'ERR_MQTT_PROTOCOL';
}

export const PUBLISH = 3;

/** A whole packet in a buffer: its first byte (type and flags), where its body starts and where it ends. */
export interface Packet {
  header: number;
  bodyStart: number;
  end: number;
}

/** The whole packet at `offset` in `bytes`, or null while it is incomplete. */
export function nextPacket(bytes: Buffer, offset = 0): Packet | null {
  if (offset >= bytes.length) return null;
  const length = readVarint(bytes, offset + 1);
  if (!length || length.at + length.value > bytes.length) return null;
  return { header: bytes[offset]!, bodyStart: length.at, end: length.at + length.value };
}

/** A Variable Byte Integer (§1.5.5) at `at` and where it ends; null when `end` comes first. */
export function readVarint(bytes: Buffer, at: number, end = bytes.length): { value: number; at: number } | null {
  let value = 0;
  for (let multiplier = 1; ; multiplier *= 128) {
    if (multiplier > 128 ** 3) throw new MqttProtocolError('mqtt: malformed variable byte integer');
    if (at >= end) return null;
    const byte = bytes[at]!;
    at += 1;
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return { value, at };
  }
}

export function varintLength(value: number): number {
  return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
}

export function writeVarint(buffer: Buffer, value: number, at: number): number {
  let rest = value;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    at = buffer.writeUInt8(byte, at);
  } while (rest > 0);
  return at;
}

const USER_PROPERTY = 0x26;
const MAC_KEY = Buffer.from([0, 3, 0x6d, 0x61, 0x63]); // "mac" as an MQTT string

/**
 * A PUBLISH up to its payload (which follows it on the wire): fixed header, topic, packet
 * id (QoS 1), and the `mac` user property as the only property.
 */
export function publishHeader(topic: string, payloadLength: number, qos: 0 | 1, messageId: number, mac: string): Buffer {
  const topicBytes = Buffer.byteLength(topic);
  const macBytes = Buffer.byteLength(mac);
  const properties = 1 + MAC_KEY.length + 2 + macBytes;
  const variable = 2 + topicBytes + (qos ? 2 : 0) + varintLength(properties) + properties;
  const remaining = variable + payloadLength;
  const packet = Buffer.allocUnsafe(1 + varintLength(remaining) + variable);
  let at = packet.writeUInt8(0x30 | (qos << 1), 0);
  at = writeVarint(packet, remaining, at);
  at = packet.writeUInt16BE(topicBytes, at);
  at += packet.write(topic, at, 'utf8');
  if (qos) at = packet.writeUInt16BE(messageId, at);
  at = writeVarint(packet, properties, at);
  at = packet.writeUInt8(USER_PROPERTY, at);
  at += MAC_KEY.copy(packet, at);
  at = packet.writeUInt16BE(macBytes, at);
  packet.write(mac, at, 'utf8');
  return packet;
}

/** One PUBLISH as delivered; `payload` shares the received bytes (no copy). */
export interface Publish {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  /** The packet identifier (QoS 1), 0 for QoS 0. */
  messageId: number;
  /** The `mac` user property: a string, an array when sent more than once (as MQTT.js gives it), undefined when absent. */
  mac: string | string[] | undefined;
}

/**
 * Reads a PUBLISH packet found by `nextPacket`. QoS 2 is refused: the worker subscribes
 * with QoS 1, so the broker never sends it (§3.8.3.1); so is a Topic Alias, which the
 * worker does not allow in CONNECT (§3.3.2.3.4).
 */
export function readPublish(bytes: Buffer, packet: Packet): Publish {
  const { bodyStart: start, end } = packet;
  const qos = ((packet.header >> 1) & 0x03) as 0 | 1 | 2 | 3;
  if (qos > 1) throw new MqttProtocolError(`mqtt: PUBLISH with QoS ${qos} on a QoS 1 subscription`);
  let at = start;
  const need = (n: number) => {
    if (at + n > end) throw new MqttProtocolError('mqtt: PUBLISH shorter than its fields');
  };
  need(2);
  const topicLength = bytes.readUInt16BE(at);
  at += 2;
  need(topicLength);
  const topic = bytes.toString('utf8', at, at + topicLength);
  at += topicLength;
  let messageId = 0;
  if (qos === 1) {
    need(2);
    messageId = bytes.readUInt16BE(at);
    at += 2;
  }
  const propertiesLength = readVarint(bytes, at, end);
  if (!propertiesLength) throw new MqttProtocolError('mqtt: PUBLISH shorter than its fields');
  at = propertiesLength.at;
  const propertiesEnd = at + propertiesLength.value;
  if (propertiesEnd > end) throw new MqttProtocolError('mqtt: PUBLISH properties beyond the packet');
  let mac: string | string[] | undefined;
  while (at < propertiesEnd) {
    const id = bytes[at++]!;
    switch (id) {
      case 0x01: // payload format indicator
        at += 1;
        break;
      case 0x02: // message expiry interval
        at += 4;
        break;
      case 0x03: // content type
      case 0x08: // response topic
      case 0x09: // correlation data
        at += 2 + lengthAt(bytes, at, propertiesEnd);
        break;
      case 0x0b: // subscription identifier
        at = readVarint(bytes, at, propertiesEnd)?.at ?? propertiesEnd + 1;
        break;
      case 0x26: {
        // user property: a UTF-8 string pair
        const keyLength = lengthAt(bytes, at, propertiesEnd);
        const valueAt = at + 2 + keyLength;
        const valueLength = lengthAt(bytes, valueAt, propertiesEnd);
        if (keyLength === 3 && bytes[at + 2] === 0x6d && bytes[at + 3] === 0x61 && bytes[at + 4] === 0x63) {
          const value = bytes.toString('utf8', valueAt + 2, valueAt + 2 + valueLength);
          mac = mac === undefined ? value : [...(Array.isArray(mac) ? mac : [mac]), value];
        }
        at = valueAt + 2 + valueLength;
        break;
      }
      default:
        throw new MqttProtocolError(`mqtt: PUBLISH property 0x${id.toString(16)} not allowed here`);
    }
    if (at > propertiesEnd) throw new MqttProtocolError('mqtt: PUBLISH property beyond the properties');
  }
  if (topicLength === 0) throw new MqttProtocolError('mqtt: PUBLISH without a topic name (topic aliases are not allowed)');
  return { topic, payload: bytes.subarray(propertiesEnd, end), qos: qos as 0 | 1, messageId, mac };
}

/** A Two Byte Integer length at `at`, checked to fit before `end` with its data. */
function lengthAt(bytes: Buffer, at: number, end: number): number {
  if (at + 2 > end) throw new MqttProtocolError('mqtt: PUBLISH property beyond the properties');
  const length = bytes.readUInt16BE(at);
  if (at + 2 + length > end) throw new MqttProtocolError('mqtt: PUBLISH property beyond the properties');
  return length;
}
