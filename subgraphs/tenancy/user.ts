import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { DateTime } from '../../schema/scalars';

export enum UserRole {
  VIEWER = 'viewer',
  OPERATOR = 'operator',
  ADMIN = 'admin',
}
registerEnumType(UserRole, { name: 'UserRole', description: 'viewer: read; operator: + device control (control login); admin: + tenant administration.' });

/** A person who signs in on the issuer's pages; users live in schema auth (auth/users.store.ts). */
@ObjectType({ description: 'A user of a tenant the caller administers.' })
export class User {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  tenantId!: string;

  @Field()
  email!: string;

  @Field(() => UserRole)
  role!: UserRole;

  @Field(() => DateTime)
  createdAt!: Date;

  @Field(() => DateTime, { nullable: true })
  disabledAt!: Date | null;
}
