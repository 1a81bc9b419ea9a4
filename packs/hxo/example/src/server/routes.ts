import type { NoteService } from '../notes/service.js';

export interface Request {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
}

export interface Response {
  status: number;
  body: unknown;
}

/** GET /notes, GET /notes/:id, POST /notes. */
export const route = (notes: NoteService, pageSize: number, req: Request): Response => {
  if (req.method === 'GET' && req.path === '/notes')
    return { status: 200, body: notes.list(req.query.after, pageSize) };
  const match = /^\/notes\/([^/]+)$/.exec(req.path);
  if (req.method === 'GET' && match?.[1]) {
    const note = notes.get(match[1]);
    return note ? { status: 200, body: note } : { status: 404, body: { error: 'not_found' } };
  }
  if (req.method === 'POST' && req.path === '/notes') {
    const b = req.body as { title?: unknown; body?: unknown; tags?: unknown };
    if (typeof b?.title !== 'string' || typeof b.body !== 'string')
      return { status: 400, body: { error: 'invalid' } };
    const tags = Array.isArray(b.tags) ? b.tags.filter((t): t is string => typeof t === 'string') : [];
    return { status: 201, body: notes.create({ title: b.title, body: b.body, tags }) };
  }
  return { status: 404, body: { error: 'no_route' } };
};
