import crypto from 'node:crypto';
import pino from 'pino';
import { Field, ObjectType, Query, Resolver } from 'type-graphql';
import { CONTEXT_HEADER, ContextTokens } from '../../lib/context-token';
import { listen } from '../../lib/http';
import { createPool } from '../../lib/postgres';
import { Authenticated, Policy, RequiresScopes } from '../../schema/authorization';
import { buildFederatedSubgraph } from '../../subgraphs/build-subgraph';
import { createSubgraphServer, type SubgraphServer } from '../../subgraphs/serve-subgraph';
import { testConfig } from '../helpers/config';

@ObjectType()
@RequiresScopes([['security:read']])
class Secret {
  @Field()
  value!: string;
}

@Resolver()
class ProbeResolver {
  @Query()
  @Authenticated()
  hello(): string {
    return 'hello';
  }

  @Query()
  @RequiresScopes([['fleet:read', 'telemetry:read'], ['tenancy:admin']])
  both(): string {
    return 'both';
  }

  @Query()
  @Policy([['operator']])
  control(): string {
    return 'control';
  }

  @Query(() => Secret)
  secret(): Secret {
    return { value: 'classified' };
  }

  @Query()
  broken(): string {
    throw new Error('relation "fleet.secret_table" does not exist: select * from fleet.secret_table');
  }
}

const config = testConfig();
const pool = createPool(config.DATABASE_URL, { service: 'test-serve' });
const tokens = new ContextTokens(config.masterKey, config.CONTEXT_TOKEN_TTL);
const logged: string[] = [];
const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(line) });
let subgraph: SubgraphServer;
let url: string;

beforeAll(async () => {
  const schema = await buildFederatedSubgraph({ resolvers: [ProbeResolver] });
  subgraph = await createSubgraphServer({ name: 'probe', schema, config, pool, logger, createLoaders: () => ({}) });
  url = `http://127.0.0.1:${await listen(subgraph.server, 0, '127.0.0.1')}/graphql`;
});
afterAll(async () => {
  await subgraph.close();
  await pool.end();
});

async function ask(query: string, scopes: string[]) {
  const token = await tokens.sign({ subject: 's', clientId: null, tenantId: crypto.randomUUID(), principalType: 'client', scopes });
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', [CONTEXT_HEADER]: token }, body: JSON.stringify({ query }) });
  return { status: response.status, text: await response.clone().text(), body: (await response.json()) as { data?: Record<string, unknown>; errors?: { path?: string[]; extensions?: { code?: string } }[] } };
}

const deniedCode = (body: { errors?: { extensions?: { code?: string } }[] }) => body.errors?.map((error) => error.extensions?.code);

describe('authorization decorators enforce in the subgraph what they declare', () => {
  it('@requiresScopes is an OR of ANDs', async () => {
    expect((await ask('{ both }', ['fleet:read', 'telemetry:read'])).body).toEqual({ data: { both: 'both' } });
    expect((await ask('{ both }', ['tenancy:admin'])).body).toEqual({ data: { both: 'both' } });
    const partial = await ask('{ both hello }', ['fleet:read']);
    expect(partial.body.data).toBeNull();
    expect(deniedCode(partial.body)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
    expect(partial.body.errors![0]!.path).toEqual(['both']);
  });

  it('@policy resolves names in the registry', async () => {
    expect((await ask('{ control }', ['device:control'])).body).toEqual({ data: { control: 'control' } });
    expect(deniedCode((await ask('{ control }', ['fleet:read'])).body)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
  });

  it('a rule on a type guards its fields', async () => {
    expect((await ask('{ secret { value } }', ['security:read'])).body).toEqual({ data: { secret: { value: 'classified' } } });
    const denied = await ask('{ secret { value } }', ['fleet:read']);
    expect(denied.text).not.toContain('classified');
    expect(deniedCode(denied.body)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
  });

  it('declares the same rules as federation directives', async () => {
    const { printSubgraphSchema } = await import('@apollo/subgraph');
    const sdl = printSubgraphSchema(await buildFederatedSubgraph({ resolvers: [ProbeResolver] }));
    expect(sdl).toContain('hello: String! @authenticated');
    expect(sdl).toContain('both: String! @requiresScopes(scopes: [["fleet:read", "telemetry:read"], ["tenancy:admin"]])');
    expect(sdl).toContain('control: String! @policy(policies: [["operator"]])');
    expect(sdl).toMatch(/type Secret\s+@requiresScopes\(scopes: \[\["security:read"\]\]\)/);
  });

  it('refuses unknown scope and policy names when the module loads', () => {
    expect(() => RequiresScopes([['fleet:reed']])).toThrow(/fleet:reed/);
    expect(() => Policy([['root' as 'operator']])).toThrow(/root/);
    expect(() => RequiresScopes([[]])).toThrow();
  });
});

describe('errors', () => {
  it('masks an unexpected error as INTERNAL_SERVER_ERROR without detail, and logs it', async () => {
    const response = await ask('{ broken }', []);
    expect(response.body.errors).toEqual([{ message: 'Internal server error', locations: expect.any(Array), path: ['broken'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
    expect(response.text).not.toMatch(/secret_table|select|stack/i);
    expect(logged.join('\n')).toContain('secret_table');
  });

  it('passes validation errors through with their code', async () => {
    const response = await ask('{ nope }', []);
    expect(response.status).toBe(400);
    expect(deniedCode(response.body)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });
});
