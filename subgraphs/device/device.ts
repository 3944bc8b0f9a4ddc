import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Device is owned by fleet; this part contributes `status` and `commands`. */
@ObjectType('Device')
@Directive('@key(fields: "id")')
export class DeviceEntity {
  @Field(() => ID)
  id!: string;
}
