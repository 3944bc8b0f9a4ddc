import { Field, Int, ObjectType } from 'type-graphql';
import { NumberSeries } from '../../schema/scalars';
import type { Series } from './reading';
import { GranularityEnum } from './reading.type';

@ObjectType({ description: 'One channel position of a ReadingSeries; null where a reading lacks the channel.', simpleResolvers: true })
export class ChannelSeries {
  @Field(() => Int)
  index!: number;

  @Field(() => NumberSeries, { description: 'Real energy in joules over each interval.' })
  eReal!: Series;

  // eReactive, vRMS and iRMS are read only when selected (reading.ts, ReadingColumns).
  @Field(() => NumberSeries, { description: 'Reactive energy in joules (VAr·s).' })
  eReactive?: Series;

  @Field(() => NumberSeries)
  vRMS?: Series;

  @Field(() => NumberSeries)
  iRMS?: Series;

  @Field(() => NumberSeries, { description: 'Average real power in watts: eReal / duration.' })
  powerW!: Series;
}

@ObjectType({
  description:
    'Readings in [from, to) as columns: position i of every array is reading (or rollup bucket) i, in time order. ' +
    'Same values, window caps and rollup rules as `readings`.',
  simpleResolvers: true,
})
export class ReadingSeries {
  @Field(() => GranularityEnum)
  granularity!: GranularityEnum;

  @Field(() => Int)
  count!: number;

  @Field(() => NumberSeries, { description: "Unix seconds of each interval's start." })
  timestamps!: Series;

  @Field(() => NumberSeries, { description: 'Seconds covered.' })
  durations!: Series;

  // Read only when selected (reading.ts, ReadingColumns).
  @Field(() => NumberSeries, { description: 'Hertz; null where unknown.' })
  frequency?: Series;

  @Field(() => [ChannelSeries], { description: 'One per channel position, as many as the readings have.' })
  channels!: ChannelSeries[];
}
