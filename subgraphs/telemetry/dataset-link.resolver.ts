import { Arg, Ctx, Field, ID, Mutation, ObjectType, registerEnumType, Resolver } from 'type-graphql';
import { RequiresScopes } from '../../schema/authorization';
import { badInput } from '../../schema/errors';
import { isDeviceId } from '../../schema/ids';
import { DateTime } from '../../schema/scalars';
import { InputError } from '../../lib/input-error';
import { checkDatasetWindow } from './datasets';
import type { TelemetryContext } from './loaders';

// Values equal names: the subgraph schema is rebuilt from its printed SDL, which keeps only names.
export enum DatasetFormat {
  CSV = 'CSV',
  TAB = 'TAB',
}

registerEnumType(DatasetFormat, { name: 'DatasetFormat', description: "TAB is Orange's native format (three header rows)." });

@ObjectType({ description: 'A signed, short-lived download link for tools that cannot send headers (Orange3 File widget).' })
export class DatasetLink {
  @Field({ description: 'Absolute URL; its path ends in .csv or .tab.' })
  url!: string;

  @Field(() => DateTime)
  expiresAt!: Date;
}

@Resolver()
export class DatasetLinkResolver {
  /** The link is bound to the caller's tenants (and API-key devices) and to this exact request. */
  @Mutation(() => DatasetLink)
  @RequiresScopes([['telemetry:export']])
  async createDatasetLink(
    @Arg('name', { description: 'A dataset of GET /datasets, e.g. energy-5min.' }) name: string,
    @Arg('from', () => DateTime) from: Date,
    @Arg('to', () => DateTime) to: Date,
    @Arg('format', () => DatasetFormat, { nullable: true, defaultValue: DatasetFormat.TAB }) format: DatasetFormat | null,
    @Arg('devices', () => [ID], { nullable: true }) devices: string[] | null,
    @Ctx() context: TelemetryContext,
  ): Promise<DatasetLink> {
    try {
      checkDatasetWindow(name, from, to);
    } catch (error) {
      if (error instanceof InputError) throw badInput(error.message, error.field);
      throw error;
    }
    if (devices && (devices.length > 1000 || devices.some((id) => !isDeviceId(id)))) throw badInput('devices: at most 1000 device ids (D and 12 digits)', 'devices');
    return context.loaders.datasetLinks.sign(context.principal, { name, format: format === DatasetFormat.CSV ? 'csv' : 'tab', from, to, devices: devices ? [...new Set(devices)] : null });
  }
}
