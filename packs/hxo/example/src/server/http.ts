import { createServer, type Server } from 'node:http';
import type { Logger } from '../core/log.js';
import type { NoteService } from '../notes/service.js';
import { route } from './routes.js';

/** A JSON HTTP server over the routes. */
export const startServer = (notes: NoteService, log: Logger, port: number, pageSize: number): Server =>
  createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const text = Buffer.concat(chunks).toString('utf8');
      const out = route(notes, pageSize, {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: text ? JSON.parse(text) : undefined,
      });
      log.log('debug', 'request', { method: req.method, path: url.pathname, status: out.status });
      res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.body));
    });
  }).listen(port);
