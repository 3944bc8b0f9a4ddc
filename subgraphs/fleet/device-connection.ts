import { Field, ObjectType } from 'type-graphql';
import { connectionOf, encodeCursor, PageInfo } from '../../schema/connection';
import { Device } from './device';
import type { DevicePage, DeviceRow } from './store';

@ObjectType()
export class DeviceEdge {
  @Field()
  cursor!: string;

  @Field(() => Device)
  node!: DeviceRow;
}

@ObjectType({ description: 'Devices in id order (Relay connection).' })
export class DeviceConnection {
  @Field(() => [DeviceEdge])
  edges!: DeviceEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

export const DEVICE_CURSOR = 'device';

export const toDeviceConnection = (page: DevicePage): DeviceConnection =>
  connectionOf(page.devices, page.hasNextPage, (device) => encodeCursor(DEVICE_CURSOR, device.id));

export const emptyDeviceConnection = (): DeviceConnection => ({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
