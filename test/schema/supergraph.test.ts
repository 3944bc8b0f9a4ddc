import fs from 'node:fs';
import { buildSchema } from 'graphql';
import { Field, ObjectType, Query, Resolver } from 'type-graphql';
import { buildFederatedSubgraph } from '../../subgraphs/build-subgraph';
import { CompositionError, composeSupergraph, SUPERGRAPH_FILE } from '../../schema/compose';
import { subgraphs } from '../../schema/subgraphs';

describe('the committed supergraph', () => {
  it('is what the subgraphs compose to now (else: npm run compose)', async () => {
    const composed = await composeSupergraph();
    const committed = fs.existsSync(SUPERGRAPH_FILE) ? fs.readFileSync(SUPERGRAPH_FILE, 'utf8') : '';
    if (committed !== composed) {
      throw new Error('schema/supergraph.graphql is stale: run `npm run compose` and commit the result');
    }
  });

  it('names every subgraph with its default URL and keeps the authorization directives', () => {
    const sdl = fs.readFileSync(SUPERGRAPH_FILE, 'utf8');
    for (const subgraph of subgraphs) expect(sdl).toContain(`@join__graph(name: "${subgraph.name}", url: "${subgraph.defaultUrl}")`);
    expect(sdl).toMatch(/me: Viewer! @join__field\(graph: TENANCY\) @authenticated/);
    expect(sdl).toMatch(/devices\([^)]*\): DeviceConnection! @join__field\(graph: FLEET\) @requiresScopes\(scopes: \[\["fleet:read"\]\]\)/s);
    expect(buildSchema(sdl).getQueryType()?.getFields()).toHaveProperty('devices');
  });
});

@ObjectType('Tenant')
class ClashingTenant {
  @Field()
  name!: number;
}

@Resolver()
class ClashingResolver {
  @Query(() => ClashingTenant)
  clash(): ClashingTenant {
    return { name: 1 };
  }
}

it('composition errors fail compose, each one listed', async () => {
  const clashing = { name: 'clash', urlKey: 'DEVICE_URL' as const, defaultUrl: 'http://127.0.0.1:4999/graphql', buildSchema: () => buildFederatedSubgraph({ resolvers: [ClashingResolver] }) };
  const attempt = composeSupergraph([...subgraphs, clashing]);
  await expect(attempt).rejects.toBeInstanceOf(CompositionError);
  await expect(attempt).rejects.toThrow(/composition failed:\n- .*Tenant/);
});
