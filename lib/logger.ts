import pino, { type Logger } from 'pino';

export type { Logger };

/** One JSON logger per service; request handlers add `{ requestId }` with `child()`. */
export function createLogger(service: string, level: string = 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-cypernex-context"]', '*.password', '*.secret'],
      censor: '[redacted]',
    },
  });
}
