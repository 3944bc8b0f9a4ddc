import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** An energy monitor; owned by fleet, extended by device (status, commands) and telemetry. */
@ObjectType({ description: 'An energy monitor.' })
@Directive('@key(fields: "id")')
export class Device {
  @Field(() => ID, { description: '`D` followed by 12 digits.' })
  id!: string;

  @Field()
  serial!: string;

  @Field()
  model!: string;

  @Field(() => String, { nullable: true })
  label!: string | null;

  /** Not fields: `tenant` and `site` resolve them. */
  tenantId!: string;
  siteId!: string | null;
}
