import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTime } from '../../schema/scalars';

export enum GranularityEnum {
  RAW = 'RAW',
  FIVE_MINUTES = 'FIVE_MINUTES',
  FIFTEEN_MINUTES = 'FIFTEEN_MINUTES',
  HOUR = 'HOUR',
  DAY = 'DAY',
}

registerEnumType(GranularityEnum, { name: 'Granularity', description: 'RAW readings, or rollups that sum energies and average V, I and f.' });

// simpleResolvers: plain data without middleware; no type-graphql wrapper on each of the
// ~450,000 fields of a day of readings.
@ObjectType({ description: 'One channel of a reading (Wattwatchers units: joules, volts, amperes).', simpleResolvers: true })
export class ChannelReading {
  @Field(() => Int)
  index!: number;

  @Field(() => Float, { description: 'Real energy in joules over the interval.' })
  eReal!: number;

  @Field(() => Float, { nullable: true, description: 'Reactive energy in joules (VAr·s).' })
  eReactive!: number | null;

  @Field(() => Float, { nullable: true })
  vRMS!: number | null;

  @Field(() => Float, { nullable: true })
  iRMS!: number | null;

  @Field(() => Float, { description: 'Average real power in watts: eReal / duration.' })
  powerW!: number;
}

@ObjectType({ description: 'A reading (RAW) or a rollup bucket.', simpleResolvers: true })
export class Reading {
  @Field(() => DateTime, { description: 'Start of the interval.' })
  timestamp!: Date;

  @Field(() => Int, { description: 'Seconds covered.' })
  duration!: number;

  @Field(() => Float, { nullable: true })
  frequency!: number | null;

  @Field(() => [ChannelReading])
  channels!: ChannelReading[];
}
