import { clientCredentialsToken } from '../helpers/issuer';
import { startPlatform, type Platform } from '../helpers/platform';
import { clientOf, tenantWithDevices } from '../helpers/tenants';

let platform: Platform;
let token: string;

beforeAll(async () => {
  platform = await startPlatform();
  const tenant = await tenantWithDevices(platform.pool, platform.config.masterKey, 'Limits', 1);
  const client = await clientOf(platform.pool, platform.config.masterKey, tenant.id, ['tenancy:read', 'fleet:read']);
  token = await clientCredentialsToken(platform.issuer.url, client.clientId, client.clientSecret, 'tenancy:read fleet:read');
});

afterAll(() => platform?.close());

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(platform.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers }, body });

/** Sends the request and checks it was refused with a 4xx before any subgraph call. */
async function expectRefused(body: string, status = 400): Promise<{ errors?: { message: string; extensions?: { code?: string } }[] }> {
  const before = platform.subgraphCalls();
  const response = await post(body);
  expect(response.status).toBe(status);
  expect(platform.subgraphCalls()).toBe(before);
  return (await response.json().catch(() => ({}))) as Awaited<ReturnType<typeof expectRefused>>;
}

const operation = (query: string, variables?: object) => JSON.stringify({ query, variables });
const nest = (levels: number) => `{ me { tenant ${'{ parent '.repeat(levels - 3)}{ id }${' }'.repeat(levels - 3)} } }`;
const code = (body: Awaited<ReturnType<typeof expectRefused>>) => body.errors?.[0]?.extensions?.code;

describe('operation limits (refused before planning, no subgraph call)', () => {
  it('refuses 101 __typename aliases', async () => {
    const aliases = Array.from({ length: 101 }, (_, i) => `a${i}: __typename`).join(' ');
    expect(code(await expectRefused(operation(`{ ${aliases} }`)))).toBe('QUERY_TOO_COMPLEX');
  });

  it('counts aliases inside fragments once per use', async () => {
    const fragment = `fragment F on Query { ${Array.from({ length: 10 }, (_, i) => `f${i}: __typename`).join(' ')} }`;
    expect(code(await expectRefused(operation(`{ ...F me { ... on Viewer { x: subject } } ... on Query { ...F ...F ...F } } ${fragment}`)))).toBe('QUERY_TOO_COMPLEX');
  });

  it('refuses depth 10 and runs depth 8', async () => {
    expect(code(await expectRefused(operation(nest(10))))).toBe('QUERY_TOO_COMPLEX');
    const ok = await platform.query(token, nest(8));
    expect(ok.status).toBe(200);
    expect(ok.body.errors).toBeUndefined();
  });

  it('refuses 10 unknown directives, and 11 known ones', async () => {
    expect((await expectRefused(operation(`{ me { subject ${'@unknown '.repeat(10)}} }`))).errors?.length).toBeGreaterThan(0);
    const known = Array.from({ length: 11 }, (_, i) => `f${i}: __typename @include(if: true)`).join(' ');
    expect(code(await expectRefused(operation(`{ ${known} }`)))).toBe('QUERY_TOO_COMPLEX');
  });

  it('refuses 1,200 tokens as a syntax error (400, not 500)', async () => {
    const body = await expectRefused(operation(`{ me { ${'subject '.repeat(1196)}} }`));
    expect(code(body)).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('refuses fragment cycles', async () => {
    await expectRefused(operation('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }'));
  });

  it('refuses an array of 10 operations (batching is off)', async () => {
    await expectRefused(JSON.stringify(Array.from({ length: 10 }, () => ({ query: '{ me { subject } }' }))));
  });

  it('refuses an operation over the cost limit, counting list sizes from first (variables included)', async () => {
    const query = 'query ($n: Int) { tenants { children { children { devices(first: $n) { edges { node { tenant { id } } } } } } } }';
    expect(code(await expectRefused(operation(query, { n: 500 })))).toBe('QUERY_TOO_COMPLEX');
    const cheap = await platform.query(token, query, { n: 1 });
    expect(cheap.status).toBe(200);
  });

  it('answers a 3 MiB body with 413', async () => {
    await expectRefused(operation(`{ me { subject } } # ${'x'.repeat(3 * 1024 * 1024)}`), 413);
  });
});
