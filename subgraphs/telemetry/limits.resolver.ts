import { Field, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { Authenticated } from '../../schema/authorization';
import { GranularityEnum } from './reading.type';
import { windowCaps } from './window';

@ObjectType({ description: 'The widest time window one `readings` field serves at a granularity.' })
export class TelemetryWindowCap {
  @Field(() => GranularityEnum)
  granularity!: GranularityEnum;

  @Field(() => Int, { description: 'Seconds.' })
  maxWindowSeconds!: number;
}

@Resolver()
export class TelemetryLimitsResolver {
  /** Lets a client plan its requests instead of discovering the caps by error. */
  @Query(() => [TelemetryWindowCap])
  @Authenticated()
  telemetryWindowCaps(): TelemetryWindowCap[] {
    return Object.entries(windowCaps).map(([granularity, ms]) => ({ granularity: granularity as GranularityEnum, maxWindowSeconds: ms / 1000 }));
  }
}
