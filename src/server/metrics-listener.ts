// The plain-HTTP listener of /metrics alone (metrics.port), for a scraper on a private network.
import http from 'node:http';
import type Koa from 'koa';
import { listenFailure } from './listen-error.js';

export async function listenMetrics(app: Koa, port: number, host: string): Promise<http.Server> {
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(listenFailure(error, 'metrics', port, host)));
    server.listen(port, host, () => resolve());
  });
  return server;
}
