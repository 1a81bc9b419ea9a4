import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { SECURITY_HEADERS, sendError } from './http.js';

/** The files the build writes to dist/ui/public (scripts/build-ui.ts), and their types. */
const ASSETS: Readonly<Record<string, string>> = Object.freeze({
  'index.html': 'text/html; charset=utf-8',
  'main.js': 'text/javascript; charset=utf-8',
  'main.js.map': 'application/json; charset=utf-8',
  'styles.css': 'text/css; charset=utf-8',
  'styles.css.map': 'application/json; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
});

/** Where the built page lives: `dist/ui/public`, beside the compiled server (`dist/ui/server`). */
export const defaultAssetsDir = (): string => fileURLToPath(new URL('../public/', import.meta.url));

/**
 * Serves the console's page: a fixed list of built files (nothing else on disk is reachable),
 * `index.html` for every other path the page routes itself (`/runs/<id>`, ...). The page needs
 * no secret: it holds no data, and asks for the session itself.
 */
export class StaticAssets {
  readonly #dir: string;
  readonly #cache = new Map<string, Buffer>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** True when the build wrote the page. */
  get built(): boolean {
    return existsSync(`${this.#dir}/index.html`);
  }

  async serve(res: ServerResponse, path: string): Promise<void> {
    const name = path.replace(/^\/+/, '');
    const file = Object.hasOwn(ASSETS, name) ? name : 'index.html';
    const type = ASSETS[file] as string;
    let body = this.#cache.get(file);
    if (!body) {
      try {
        body = await readFile(`${this.#dir}/${file}`);
      } catch {
        sendError(
          res,
          503,
          'ui_not_built',
          `the console page is not built (${this.#dir}): run \`npm run build\``,
        );
        return;
      }
      this.#cache.set(file, body);
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': type,
      'Content-Length': String(body.length),
      'Cache-Control': 'no-cache',
    });
    res.end(body);
  }
}
