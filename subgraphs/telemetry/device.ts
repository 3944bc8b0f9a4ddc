import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Device is owned by fleet; telemetry contributes `latestReading`, `readings` and `readingSeries`. */
@ObjectType('Device')
@Directive('@key(fields: "id")')
export class TelemetryDevice {
  @Field(() => ID)
  id!: string;
}
