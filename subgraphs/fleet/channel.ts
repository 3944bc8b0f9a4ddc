import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'One CT input of a monitor.' })
export class Channel {
  @Field(() => ID, { description: '`<deviceId>:<index>`' })
  id!: string;

  @Field(() => Int)
  index!: number;

  @Field(() => String, { nullable: true })
  label!: string | null;

  @Field({ description: 'consumption, generation, grid, storage or unassigned' })
  category!: string;

  @Field(() => Int, { description: 'Rating of the fitted CT coil, amperes.' })
  ctRating!: number;
}
