import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { DateTime } from '../../schema/scalars';

/** One identity event (auth/audit.store.ts): sign-ins, lockouts, tokens issued, API keys. */
@ObjectType({ description: 'Sign-ins, lockouts, tokens issued, API keys created and revoked.' })
export class AuditEvent {
  @Field(() => ID)
  id!: string;

  @Field(() => DateTime)
  at!: Date;

  @Field({ description: 'login.succeeded, login.failed, login.refused_locked, account.locked, source.blocked, token.issued, api_key.created, api_key.revoked' })
  type!: string;

  @Field(() => ID, { nullable: true })
  tenantId!: string | null;

  @Field(() => String, { nullable: true, description: 'A user id, client id or API key id.' })
  subject!: string | null;

  @Field(() => String, { nullable: true })
  clientId!: string | null;

  @Field(() => String, { nullable: true, description: 'The address the request came from.' })
  source!: string | null;

  @Field(() => GraphQLJSONObject)
  detail!: Record<string, unknown>;
}
