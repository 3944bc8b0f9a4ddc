import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** A tenant of the platform; owned by this subgraph, extended by others (fleet adds devices). */
@ObjectType({ description: 'An organisation; it sees itself and its descendants, never its ancestors.' })
@Directive('@key(fields: "id")')
export class Tenant {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field({ description: 'Where its raw data is kept.' })
  region!: string;

  /** Not a field: `parent` resolves it only when the caller can see the parent. */
  parentId!: string | null;
}
