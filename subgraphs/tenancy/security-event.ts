import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import type { SecurityEventRow } from '../../gateway/defender/security-events.store';
import { PageInfo } from '../../schema/connection';
import { DateTime } from '../../schema/scalars';

/** A rule the gateway's defender saw tripped by a principal of the tenant, and what it did (gateway/defender). */
@ObjectType({ description: 'Systematic API discovery the defender detected, and the action it took.' })
export class SecurityEvent {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'probing, introspection, denials, enumeration, cost, rate-limit' })
  rule!: string;

  @Field({ description: 'The subject that tripped it: a user id, client id or API key id.', name: 'principal' })
  subject!: string;

  @Field({ description: 'user, client or apikey' })
  principalType!: string;

  @Field(() => String, { nullable: true })
  clientId!: string | null;

  @Field({ description: 'notify, throttle, block or revoke' })
  action!: string;

  @Field(() => GraphQLJSONObject, { description: 'What was counted: count, threshold, windowSeconds (and lookups for enumeration).' })
  detail!: Record<string, unknown>;

  @Field(() => DateTime)
  createdAt!: Date;

  @Field(() => DateTime, { nullable: true, description: 'When the action ends by itself; null: until lifted (or nothing to end).' })
  expiresAt!: Date | null;

  @Field(() => DateTime, { nullable: true })
  liftedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Who lifted the action.' })
  liftedBy!: string | null;

  /** Not a field: `tenant` resolves it. */
  tenantId!: string;
}

@ObjectType()
export class SecurityEventEdge {
  @Field()
  cursor!: string;

  @Field(() => SecurityEvent)
  node!: SecurityEventRow;
}

@ObjectType({ description: 'Security events, newest first (Relay connection).' })
export class SecurityEventConnection {
  @Field(() => [SecurityEventEdge])
  edges!: SecurityEventEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
