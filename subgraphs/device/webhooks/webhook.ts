import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'One POST of a delivery.' })
export class WebhookAttempt {
  @Field(() => Int)
  attempt!: number;

  @Field(() => GraphQLDateTime)
  at!: Date;

  @Field(() => Int, { nullable: true, description: 'HTTP status of the answer; null when none came.' })
  statusCode!: number | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => Int)
  durationMs!: number;
}

@ObjectType({ description: 'One event on its way to one webhook.' })
export class WebhookDelivery {
  @Field(() => ID)
  id!: string;

  @Field()
  eventId!: string;

  @Field()
  eventType!: string;

  @Field({ description: 'PENDING, DELIVERED or FAILED (retry budget spent).' })
  status!: string;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true })
  completedAt!: Date | null;
}

@ObjectType({ description: 'A partner endpoint receiving the events of a tenant and its descendants.' })
export class Webhook {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  tenantId!: string;

  @Field()
  url!: string;

  @Field(() => [String])
  events!: string[];

  @Field()
  createdBy!: string;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType()
export class CreatedWebhook {
  @Field(() => Webhook)
  webhook!: Webhook;

  @Field({ description: 'Signs every delivery (Cypernex-Signature); shown only now.' })
  secret!: string;
}
