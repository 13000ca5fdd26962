// The plain-HTTP listener of /metrics alone (metrics.port), for a scraper on a private network.
import http from 'node:http';
import type Koa from 'koa';
import { listen } from './listen.js';

export function listenMetrics(app: Koa, port: number, host: string): Promise<http.Server> {
  return listen(http.createServer(app.callback()), port, host, 'metrics');
}
