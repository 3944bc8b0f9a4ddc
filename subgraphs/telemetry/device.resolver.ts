import { Args, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { RequiresScopes } from '../../schema/authorization';
import { TelemetryDevice } from './device';
import type { TelemetryContext } from './loaders';
import type { ReadingRow, ReadingValues } from './reading';
import { GranularityEnum, Reading } from './reading.type';
import { ReadingsArgs } from './readings.args';
import { checkWindow } from './window';

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
      powerW: row.duration > 0 ? eReal / row.duration : 0,
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
}
