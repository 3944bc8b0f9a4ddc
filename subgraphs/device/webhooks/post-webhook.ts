import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { isPublicAddress, publicOnlyLookup } from './public-address';

export interface PostResult {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** A receiver's answer is not read beyond this: only the status matters. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * One POST. In production the connection may only go to a public address, checked on the
 * very address it connects to; redirects are not followed (a redirect could lead inside).
 */
export function postWebhook(url: URL, headers: Record<string, string>, body: string, options: { production: boolean; timeoutMs: number }): Promise<PostResult> {
  const started = Date.now();
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // an address literal is connected to without any lookup: check it here
  if (options.production && net.isIP(host) && !isPublicAddress(host)) {
    return Promise.resolve({ statusCode: null, error: `${host} is not a public address`, durationMs: 0 });
  }
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const done = (statusCode: number | null, error: string | null) => resolve({ statusCode, error, durationMs: Date.now() - started });
    const request = transport.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Cypernex-Webhooks/1', ...headers },
        timeout: options.timeoutMs,
        ...(options.production ? { lookup: publicOnlyLookup } : {}),
      },
      (response) => {
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) response.destroy();
        });
        response.on('close', () => done(response.statusCode ?? null, null));
        response.on('error', () => undefined);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    request.on('error', (error) => done(null, error.message));
    request.end(body);
  });
}
