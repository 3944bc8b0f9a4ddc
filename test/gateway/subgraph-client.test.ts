import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSubgraphClient, SubgraphTimeoutError, type SubgraphClient } from '../../gateway/subgraph-client';

/** A subgraph stand-in that answers after `delayMs` and counts what it received. */
function startSubgraph(handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void) {
  const received: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      received.push(body);
      handler(req, res, body);
    });
  });
  return new Promise<{ url: string; received: string[]; server: http.Server }>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, received, server })),
  );
}

const answerLater = (delayMs: number) => (_req: http.IncomingMessage, res: http.ServerResponse, body: string) =>
  setTimeout(() => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ data: { echo: body } }));
  }, delayMs);

describe('gateway subgraph client', () => {
  let client: SubgraphClient;
  const servers: http.Server[] = [];
  afterEach(async () => {
    client?.close();
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function subgraph(handler: Parameters<typeof startSubgraph>[0]) {
    const started = await startSubgraph(handler);
    servers.push(started.server);
    return started;
  }

  it('sends identical reads in flight once, and each caller gets its own answer', async () => {
    const { url, received } = await subgraph(answerLater(50));
    client = createSubgraphClient({ timeoutMs: 2000, dedupeInflight: true });
    const post = (requestId: string) =>
      client.post({ url, headers: { 'x-cypernex-context': 'identity-1', 'x-request-id': requestId }, body: '{"query":"{ me { id } }"}', read: true });
    const answers = await Promise.all([post('r-1'), post('r-2'), post('r-3')]);
    expect(received).toHaveLength(1);
    expect(answers.map((answer) => JSON.parse(answer.body))).toEqual(Array(3).fill({ data: { echo: '{"query":"{ me { id } }"}' } }));
    expect(client.stats()).toEqual({ sent: 1, joined: 2 });
  });

  it('never shares between identities, bodies, mutations, or calls that do not overlap', async () => {
    const { url, received } = await subgraph(answerLater(30));
    client = createSubgraphClient({ timeoutMs: 2000, dedupeInflight: true });
    const body = '{"query":"{ me { id } }"}';
    await Promise.all([
      client.post({ url, headers: { 'x-cypernex-context': 'identity-1' }, body, read: true }),
      client.post({ url, headers: { 'x-cypernex-context': 'identity-2' }, body, read: true }),
      client.post({ url, headers: { 'x-cypernex-context': 'identity-1' }, body: '{"query":"{ me { name } }"}', read: true }),
      client.post({ url, headers: { 'x-cypernex-context': 'identity-1' }, body: '{"query":"mutation { a }"}', read: false }),
      client.post({ url, headers: { 'x-cypernex-context': 'identity-1' }, body: '{"query":"mutation { a }"}', read: false }),
    ]);
    await client.post({ url, headers: { 'x-cypernex-context': 'identity-1' }, body, read: true });
    expect(received).toHaveLength(6);
  });

  it('does not share when turned off', async () => {
    const { url, received } = await subgraph(answerLater(30));
    client = createSubgraphClient({ timeoutMs: 2000, dedupeInflight: false });
    const post = () => client.post({ url, headers: { 'x-cypernex-context': 'identity-1' }, body: '{}', read: true });
    await Promise.all([post(), post()]);
    expect(received).toHaveLength(2);
  });

  it('gives up on a subgraph that does not answer within the timeout', async () => {
    const { url } = await subgraph(answerLater(1000));
    client = createSubgraphClient({ timeoutMs: 100, dedupeInflight: true });
    await expect(client.post({ url, headers: {}, body: '{}', read: true })).rejects.toBeInstanceOf(SubgraphTimeoutError);
  });

  it('sends a read again when a kept-alive socket is closed under it, but not a mutation', async () => {
    const seen = new WeakMap<object, number>();
    const { url, received } = await subgraph((req, res, body) => {
      const count = (seen.get(req.socket) ?? 0) + 1;
      seen.set(req.socket, count);
      // The second request on a connection finds it closed, as when a keep-alive timeout races.
      if (count === 2) return req.socket.destroy();
      answerLater(0)(req, res, body);
    });
    client = createSubgraphClient({ timeoutMs: 2000, dedupeInflight: true });
    await client.post({ url, headers: {}, body: '"first"', read: true });
    const read = await client.post({ url, headers: {}, body: '"second"', read: true });
    expect(JSON.parse(read.body)).toEqual({ data: { echo: '"second"' } });
    expect(received).toEqual(['"first"', '"second"', '"second"']);

    // The retry's socket is kept alive too; a mutation is the second request on it.
    await expect(client.post({ url, headers: {}, body: '"third"', read: false })).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(received).toEqual(['"first"', '"second"', '"second"', '"third"']);
  });
});
