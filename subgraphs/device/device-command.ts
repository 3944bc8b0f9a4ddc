import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { commandStatuses, type CommandStatus } from './commands.store';

const CommandStatusEnum = Object.fromEntries(commandStatuses.map((status) => [status, status])) as { [S in CommandStatus]: S };
registerEnumType(CommandStatusEnum, { name: 'CommandStatus' });

@ObjectType({ description: 'One step of a command (audit trail).' })
export class CommandTransition {
  @Field(() => CommandStatusEnum)
  status!: CommandStatus;

  @Field(() => GraphQLDateTime)
  at!: Date;

  @Field({ description: 'api (the caller), broker (publish), device (its signed answer) or sweeper (expiry).' })
  source!: string;

  @Field(() => String, { nullable: true })
  detail!: string | null;
}

@ObjectType({ description: 'A maintenance command sent to a device over its maintenance channel.' })
export class DeviceCommand {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'setCtRating, setReportingInterval, reboot or firmwareUpgrade.' })
  type!: string;

  @Field(() => CommandStatusEnum)
  status!: CommandStatus;

  @Field(() => GraphQLDateTime)
  issuedAt!: Date;

  @Field(() => GraphQLDateTime)
  expiresAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true })
  completedAt!: Date | null;

  @Field(() => String, { nullable: true })
  detail!: string | null;

  @Field({ description: 'Subject of the principal who asked.' })
  requestedBy!: string;

  @Field(() => String, { nullable: true })
  clientId!: string | null;

  /** Not fields: `device` and `history` resolve them. */
  deviceId!: string;
}
