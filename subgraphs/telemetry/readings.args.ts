import { ArgsType, Field } from 'type-graphql';
import { DateTime } from '../../schema/scalars';
import { GranularityEnum } from './reading.type';

/** CONTRACT §5: `readings(from: DateTime!, to: DateTime!, granularity: Granularity = RAW)`. */
@ArgsType()
export class ReadingsArgs {
  @Field(() => DateTime, { description: 'Inclusive.' })
  from!: Date;

  @Field(() => DateTime, { description: 'Exclusive.' })
  to!: Date;

  @Field(() => GranularityEnum, { nullable: true, defaultValue: GranularityEnum.RAW })
  granularity!: GranularityEnum | null;
}
