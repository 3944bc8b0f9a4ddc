import type { GraphQLResolveInfo } from 'graphql';
import { Args, Ctx, FieldResolver, Info, Resolver, Root } from 'type-graphql';
import { PackedSeries } from '../../lib/series-wire';
import { RequiresScopes } from '../../schema/authorization';
import { selectedFieldNames } from '../selected-fields';
import { TelemetryDevice } from './device';
import type { TelemetryContext } from './loaders';
import { optionalColumns, type ReadingColumns, type ReadingRow, type ReadingValues, type Series } from './reading';
import { ReadingSeries } from './reading-series.type';
import { GranularityEnum, Reading } from './reading.type';
import { ReadingsArgs } from './readings.args';
import { checkWindow } from './window';

/** CONTRACT §5. */
const powerOf = (eReal: number, duration: number): number => (duration > 0 ? eReal / duration : 0);

/** Arrays are indexed by channel position (CONTRACT §6); powerW = eReal / duration (§5). */
export function toReading(row: Pick<ReadingRow, 'duration' | 'frequency' | 'eReal' | 'eReactive' | 'vRMS' | 'iRMS'> & { timestamp: Date }): Reading {
  return {
    timestamp: row.timestamp,
    duration: row.duration,
    frequency: row.frequency,
    channels: row.eReal.map((eReal, index) => ({
      index,
      eReal,
      eReactive: row.eReactive?.[index] ?? null,
      vRMS: row.vRMS?.[index] ?? null,
      iRMS: row.iRMS?.[index] ?? null,
      powerW: powerOf(eReal, row.duration),
    })),
  };
}

/**
 * Columns as `readingSeries` serves them: channel `i` is position `i`, powerW as in
 * `toReading`. With a marker (the gateway asked for it) every column is packed for the wire
 * (lib/series-wire.ts).
 */
export function toReadingSeries(granularity: GranularityEnum, columns: ReadingColumns, marker: string | null = null): ReadingSeries {
  const { timestamps, durations } = columns;
  // the type says Series: a PackedSeries is what the NumberSeries scalar serializes it to
  const wire = <T extends Series | undefined>(values: T): T => (marker && values ? (new PackedSeries(values, marker) as unknown as T) : values);
  return {
    granularity,
    count: timestamps.length,
    timestamps: wire(timestamps),
    durations: wire(durations),
    frequency: wire(columns.frequency),
    channels: columns.channels.map((channel, index) => ({
      index,
      eReal: wire(channel.eReal),
      eReactive: wire(channel.eReactive),
      vRMS: wire(channel.vRMS),
      iRMS: wire(channel.iRMS),
      powerW: wire(channel.eReal.map((eReal, i) => (eReal === null ? null : powerOf(eReal, durations[i]!)))),
    })),
  };
}

const fromValues = (values: ReadingValues): Reading => toReading({ ...values, timestamp: new Date(values.timestamp * 1000) });

@Resolver(() => TelemetryDevice)
export class TelemetryDeviceResolver {
  @FieldResolver(() => Reading, { nullable: true, description: 'The newest reading received from the device.' })
  @RequiresScopes([['telemetry:read']])
  async latestReading(@Root() device: TelemetryDevice, @Ctx() context: TelemetryContext): Promise<Reading | null> {
    const latest = await context.loaders.latest.load(device.id);
    return latest?.reading ? fromValues(latest.reading) : null;
  }

  @FieldResolver(() => [Reading], { description: 'Readings in [from, to): RAW, or rollups (energies summed, V, I and f averaged).' })
  @RequiresScopes([['telemetry:read']])
  async readings(
    @Root() device: TelemetryDevice,
    @Args(() => ReadingsArgs) { from, to, granularity: requested }: ReadingsArgs,
    @Ctx() context: TelemetryContext,
  ): Promise<Reading[]> {
    const granularity = requested ?? GranularityEnum.RAW;
    checkWindow(from, to, granularity);
    const rows = await context.loaders.readings.load({ deviceId: device.id, from, to, granularity });
    return rows.map(toReading);
  }

  @FieldResolver(() => ReadingSeries, {
    description: 'The readings of `readings` as columns, one array per quantity, for data-mining tools (Orange3, notebooks).',
  })
  @RequiresScopes([['telemetry:read']])
  async readingSeries(
    @Root() device: TelemetryDevice,
    @Args(() => ReadingsArgs) { from, to, granularity: requested }: ReadingsArgs,
    @Ctx() context: TelemetryContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ReadingSeries> {
    const granularity = requested ?? GranularityEnum.RAW;
    checkWindow(from, to, granularity);
    const selected = selectedFieldNames(info);
    const columns = optionalColumns.filter((column) => selected.has(column));
    const loaded = await context.loaders.readingSeries.load({ deviceId: device.id, from, to, granularity, columns });
    return toReadingSeries(granularity, loaded, context.seriesMarker);
  }
}
