import http from 'node:http';
import https from 'node:https';

/** What a subgraph answered: the body stays text, so every caller parses its own copy. */
export interface SubgraphAnswer {
  status: number;
  statusText: string;
  contentType: string;
  body: string;
}

export interface SubgraphPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  /**
   * A read (a `query` fetch of the plan): identical reads in flight share one call, and a
   * read that failed on a kept-alive socket the subgraph had just closed is sent once more.
   * Mutations get neither.
   */
  read: boolean;
}

export interface SubgraphClientOptions {
  timeoutMs: number;
  /** Share one subgraph call between identical reads in flight (same URL, identity and body). */
  dedupeInflight: boolean;
  maxSockets?: number;
}

export interface SubgraphClient {
  post(request: SubgraphPost): Promise<SubgraphAnswer>;
  /** Calls that went to a subgraph, and reads that joined one already in flight. */
  stats(): { sent: number; joined: number };
  close(): void;
}

export class SubgraphTimeoutError extends Error {
  constructor(url: string, timeoutMs: number) {
    super(`subgraph ${url} did not answer within ${timeoutMs} ms`);
    this.name = 'SubgraphTimeoutError';
  }
}

/** Headers that differ per request without changing the answer: not part of the sharing key. */
const PER_REQUEST_HEADERS = new Set(['x-request-id']);

/**
 * The gateway's HTTP client for subgraph calls: `node:http` with kept-alive sockets and one
 * timer per call. Measured against undici `fetch` with an `AbortSignal.timeout` per call,
 * which the gateway used before (micro-benchmark, docs/benchmarks.md): about 1.6 against
 * 1.0 ms CPU per call. Node's agent closes an idle socket before the server's
 * `Keep-Alive: timeout` hint runs out; a read that still meets a socket closed under it is
 * sent once more on a new one (Node's documented `reusedSocket` pattern).
 *
 * In-flight sharing (as @graphql-tools/executor-http does for Hive gateway): identical reads
 * with the same signed identity that overlap in time get the answer of the first, each
 * parsing its own copy. Rate limits and every protection still apply to each client request.
 */
export function createSubgraphClient(options: SubgraphClientOptions): SubgraphClient {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64, scheduling: 'lifo' as const };
  const transports = {
    'http:': { agent: new http.Agent(agentOptions), request: http.request },
    'https:': { agent: new https.Agent(agentOptions), request: https.request },
  };
  const inflight = new Map<string, Promise<SubgraphAnswer>>();
  // A gateway calls a handful of subgraph URLs: each is parsed once.
  const parsed = new Map<string, URL>();
  let sent = 0;
  let joined = 0;

  function send(request: SubgraphPost, retried = false): Promise<SubgraphAnswer> {
    sent += 1;
    return new Promise<SubgraphAnswer>((resolve, reject) => {
      let url = parsed.get(request.url);
      if (!url) parsed.set(request.url, (url = new URL(request.url)));
      const transport = transports[url.protocol as keyof typeof transports];
      if (!transport) return reject(new Error(`subgraph URL ${request.url} is neither http nor https`));
      const req = transport.request(url, {
        method: 'POST',
        agent: transport.agent,
        headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
      });
      const timer = setTimeout(() => req.destroy(new SubgraphTimeoutError(request.url, options.timeoutMs)), options.timeoutMs);
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            contentType: String(res.headers['content-type'] ?? ''),
            body: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
      req.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const closedUnderUs = req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
        if (closedUnderUs && request.read && !retried) resolve(send(request, true));
        else reject(error);
      });
      req.end(request.body);
    });
  }

  return {
    post(request) {
      if (!request.read || !options.dedupeInflight) return send(request);
      const key = sharingKey(request);
      const running = inflight.get(key);
      if (running) {
        joined += 1;
        return running;
      }
      const call = send(request).finally(() => inflight.delete(key));
      inflight.set(key, call);
      return call;
    },
    stats: () => ({ sent, joined }),
    close() {
      for (const { agent } of Object.values(transports)) agent.destroy();
    },
  };
}

function sharingKey(request: SubgraphPost): string {
  const headers = Object.keys(request.headers)
    .filter((name) => !PER_REQUEST_HEADERS.has(name.toLowerCase()))
    .sort()
    .map((name) => `${name.toLowerCase()}:${request.headers[name]}`);
  return `${request.url}\n${headers.join('\n')}\n\n${request.body}`;
}
