import { GraphQLDateTime } from 'graphql-scalars';
import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'What the device last said about itself (signed, retained status; the will says offline).' })
export class DeviceStatus {
  @Field()
  online!: boolean;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'Newest status message or reading received.' })
  lastSeenAt!: Date | null;

  @Field(() => String, { nullable: true })
  firmwareVersion!: string | null;

  @Field(() => Int, { nullable: true })
  signalQualityDbm!: number | null;
}
