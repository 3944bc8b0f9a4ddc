import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Where devices are installed.' })
export class Site {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field({ description: 'IANA time zone name.' })
  timezone!: string;
}
