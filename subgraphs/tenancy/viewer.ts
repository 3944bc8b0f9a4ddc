import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'The caller, as the gateway authenticated it.' })
export class Viewer {
  @Field()
  subject!: string;

  @Field(() => String, { nullable: true })
  clientId!: string | null;

  @Field(() => [String])
  scopes!: string[];

  /** Not a field: `tenant` resolves it. */
  tenantId!: string;
}
