import type { LilyClient } from '../../client/index.js';

/** What a handler gets: the path parameters, the query, the JSON body (POST), the client. */
export interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  client: LilyClient;
  /** True while the live feed is connected to NATS. */
  live: boolean;
  /** Who the console acts as (recorded as `by` on cancels, answers and resolutions). */
  identity: string;
}

export interface Route {
  method: 'GET' | 'POST';
  /** `/api/runs/:id/events`: `:name` matches one path segment (URL-decoded into `params`). */
  path: string;
  handle(ctx: RouteContext): Promise<unknown>;
}

interface Compiled {
  route: Route;
  pattern: RegExp;
  names: string[];
}

const compile = (route: Route): Compiled => {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((part) => {
      if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(part.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names };
};

/** Matches a method and path against a route table. */
export class Router {
  readonly #routes: Compiled[];

  constructor(routes: readonly Route[]) {
    this.#routes = routes.map(compile);
  }

  /** The route and its parameters, `method_not_allowed` when only the method differs, or undefined. */
  match(
    method: string,
    path: string,
  ): { route: Route; params: Record<string, string> } | 'method_not_allowed' | undefined {
    let pathMatched = false;
    for (const c of this.#routes) {
      const m = c.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (c.route.method !== method) continue;
      const params: Record<string, string> = {};
      c.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1] ?? '');
      });
      return { route: c.route, params };
    }
    return pathMatched ? 'method_not_allowed' : undefined;
  }
}
