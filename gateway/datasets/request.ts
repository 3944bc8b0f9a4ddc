import type { DatasetRequest } from '../../lib/dataset-link';
import { isDeviceId } from '../../schema/ids';
import { InputError } from '../../lib/input-error';
import { checkDatasetWindow, datasets } from '../../subgraphs/telemetry/datasets';

export class DatasetRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_DEVICES = 1000;

function instant(name: string, value: string | null): Date {
  if (!value) throw new DatasetRequestError(400, 'bad_request', `${name} is required (ISO 8601 or unix seconds)`);
  const date = new Date(/^\d+$/.test(value) ? Number(value) * 1000 : value);
  if (Number.isNaN(date.getTime())) throw new DatasetRequestError(400, 'bad_request', `${name} is not a time: ${JSON.stringify(value).slice(0, 40)}`);
  return date;
}

/** `/datasets/{name}.{csv|tab}?from&to[&devices]`, checked; a signed link fixes all of it. */
export function parseDatasetRequest(url: URL, linked: DatasetRequest | null): DatasetRequest {
  const match = /^\/datasets\/([a-z0-9-]+)\.(csv|tab)$/.exec(url.pathname);
  const dataset = match ? datasets[match[1]!] : undefined;
  if (!match || !dataset) throw new DatasetRequestError(404, 'not_found', `no dataset at ${url.pathname.slice(0, 80)}; GET /datasets lists them`);
  const format = match[2] as 'csv' | 'tab';
  if (linked) {
    if (linked.name !== dataset.name || linked.format !== format) throw new DatasetRequestError(403, 'forbidden', 'the link is for another dataset or format');
    return linked;
  }
  const from = instant('from', url.searchParams.get('from'));
  const to = instant('to', url.searchParams.get('to'));
  try {
    checkDatasetWindow(dataset.name, from, to);
  } catch (error) {
    if (error instanceof InputError) throw new DatasetRequestError(400, 'bad_request', error.message);
    throw error;
  }
  return { name: dataset.name, format, from, to, devices: parseDevices(url.searchParams.get('devices')) };
}

export function parseDevices(value: string | null): string[] | null {
  if (value === null || value.trim() === '') return null;
  const devices = [...new Set(value.split(',').map((id) => id.trim()).filter(Boolean))];
  const bad = devices.find((id) => !isDeviceId(id));
  if (bad !== undefined) throw new DatasetRequestError(400, 'bad_request', `devices: ${JSON.stringify(bad).slice(0, 40)} is not a device id`);
  if (devices.length > MAX_DEVICES) throw new DatasetRequestError(400, 'bad_request', `devices: at most ${MAX_DEVICES}`);
  return devices;
}
