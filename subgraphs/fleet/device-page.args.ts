import { ArgsType, Field, ID, Int } from 'type-graphql';
import { decodeCursor, parseFirst } from '../../schema/connection';
import { isDeviceId, parseUuid } from '../../schema/ids';
import { DEVICE_CURSOR } from './device-connection';

const DEFAULT_PAGE = 50;

@ArgsType()
export class DevicePageArgs {
  @Field(() => Int, { nullable: true, defaultValue: DEFAULT_PAGE, description: 'At most 500.' })
  first!: number | null;

  @Field(() => String, { nullable: true })
  after!: string | null;
}

@ArgsType()
export class DevicesArgs extends DevicePageArgs {
  @Field(() => ID, { nullable: true, description: 'Only this tenant\'s devices.' })
  tenantId!: string | null;
}

/** Validated page arguments: BAD_USER_INPUT for a size out of range or a malformed cursor. */
export function parsePageArgs(args: DevicePageArgs): { first: number; after: string | null } {
  return { first: parseFirst(args.first ?? DEFAULT_PAGE), after: decodeCursor(DEVICE_CURSOR, args.after, isDeviceId) };
}

export const parseTenantFilter = (args: DevicesArgs): string | null =>
  args.tenantId === null || args.tenantId === undefined ? null : parseUuid(args.tenantId, 'tenantId');
