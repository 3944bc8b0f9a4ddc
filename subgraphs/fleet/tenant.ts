import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Tenant is owned by tenancy; fleet only knows its id and contributes `devices`. */
@ObjectType('Tenant')
@Directive('@key(fields: "id")')
export class TenantEntity {
  @Field(() => ID)
  id!: string;
}
