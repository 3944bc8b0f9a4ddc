import { deriveKey } from './master-key';
import { seriesJson } from './series-json';

/**
 * Packed `NumberSeries` between the subgraphs and the gateway.
 *
 * A column of a day of raw readings is 17,280 numbers; `readingSeries` answers with dozens of
 * them. Through the gateway each number was formatted by the subgraph, parsed by the
 * gateway, and formatted again for the client (bench/micro: ~32 ms of the gateway's CPU
 * for a raw day's answer, parse and stringify, against ~7 packed). When the gateway asks for it (this header), the subgraph
 * sends each series as one JSON string, the marker followed by the array's JSON text; the
 * gateway parses a string instead of the numbers and, writing its answer, puts the array
 * text back in place of the string. Clients see plain arrays either way.
 *
 * The marker holds a tag derived from the master key, which the gateway and subgraphs
 * share and nobody else knows: a tenant's own text (a device name, say) cannot pass for a
 * series. And the gateway puts back only text made of numbers, `null` and commas, so even
 * a forged marker could not inject JSON structure.
 */
export const SERIES_HEADER = 'x-cypernex-series';
export const PACKED = 'packed';

export function seriesMarker(masterKey: Buffer): string {
  return `cxs:${deriveKey(masterKey, 'number-series-wire', 8).toString('hex')}:`;
}

/**
 * A series built for one request, which serializes (JSON.stringify) as the marker and its
 * array text. The `NumberSeries` scalar passes it through after checking its values.
 */
export class PackedSeries {
  constructor(
    readonly values: readonly (number | null)[],
    private readonly marker: string,
  ) {}

  toJSON(): string {
    return this.marker + seriesJson(this.values);
  }
}

/**
 * A serialized answer with every packed series put back as its array text. `json` is what
 * JSON.stringify made of the answer, so a packed series appears as `"` + the marker
 * + the array text + `"`; a string that merely starts like one but holds
 * anything besides numbers, `null` and commas stays the string it is.
 */
export function unpackSeries(json: string, marker: string): string {
  const needle = JSON.stringify(marker).slice(0, -1);
  let at = json.indexOf(needle);
  if (at < 0) return json;
  const parts: string[] = [];
  let from = 0;
  while (at >= 0) {
    const start = at + needle.length;
    const end = json.indexOf('"', start);
    if (end < 0) break;
    // a value's opening quote follows `:`, `,` or `[` (JSON.stringify writes no spaces); a
    // quote anywhere else is inside a string (escaped) and starts nothing
    if (VALUE_START.has(json.charCodeAt(at - 1)) && isSeriesText(json, start, end)) {
      parts.push(json.slice(from, at), json.slice(start, end));
      from = end + 1;
    }
    at = json.indexOf(needle, end + 1);
  }
  parts.push(json.slice(from));
  return parts.join('');
}

const VALUE_START = new Set([':', ',', '['].map((c) => c.charCodeAt(0)));

/** Only what JSON.stringify writes for an array of numbers and nulls can be put back. */
const NOT_SERIES_TEXT = /[^0-9,.eE+\-nul]/;

/** `[` ... `]` holding only number characters, `null` letters and commas. */
function isSeriesText(json: string, start: number, end: number): boolean {
  if (end - start < 2 || json.charCodeAt(start) !== 0x5b || json.charCodeAt(end - 1) !== 0x5d) return false;
  return !NOT_SERIES_TEXT.test(json.slice(start + 1, end - 1));
}
