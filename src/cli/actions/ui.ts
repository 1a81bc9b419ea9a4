import { spawn } from 'node:child_process';
import { LilyError } from '../../contracts/errors.js';
import { startConsole } from '../../ui/index.js';
import type { CliContext, Outcome } from '../context.js';
import { untilSignal } from '../signals.js';

const port = (raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) {
    throw new LilyError('usage_invalid', `--port must be an integer from 0 to 65535, not ${raw}`, {
      reason: 'invalidArgument',
      option: '--port',
    });
  }
  return n;
};

/** Opens `url` in the desktop's browser; false when there is no opener. */
const openBrowser = (url: string): Promise<boolean> =>
  new Promise((resolve) => {
    const [cmd, args] =
      process.platform === 'darwin'
        ? ['open', [url]]
        : process.platform === 'win32'
          ? ['cmd', ['/c', 'start', '', url]]
          : ['xdg-open', [url]];
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });

const ended: Outcome = { data: null, human: () => '', jsonText: () => '' };

/**
 * `lily ui [--port n] [--host h] [--open]`: serves the web console until Ctrl-C. Prints the URL
 * with the per-start secret (`--json`: one JSON line `{url, origin, host, port, project}`).
 */
export const ui = async (
  ctx: CliContext,
  options: { port?: string; host?: string; open?: boolean },
): Promise<Outcome> => {
  const location = ctx.client.location;
  const dir = location.found ? location.dir : ctx.dirArg;
  const running = await startConsole({
    ...(dir !== undefined ? { dir } : {}),
    ...(ctx.natsArg !== undefined ? { nats: ctx.natsArg } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(port(options.port) !== undefined ? { port: port(options.port) as number } : {}),
  });
  try {
    const doc = {
      url: running.url,
      origin: running.origin,
      host: running.host,
      port: running.port,
      project: running.project,
    };
    if (ctx.json) ctx.ui.out(JSON.stringify(doc));
    else {
      const c = ctx.ui.colors;
      ctx.ui.out(`Lily console for ${running.project}`);
      ctx.ui.out(`  ${c.bold(running.url)}`);
      ctx.ui.out(
        c.dim("  the URL carries this start's secret: share it only with people who may act as you"),
      );
      if (!running.pageBuilt)
        ctx.ui.err('the page is not built: run `npm run build` (the API answers meanwhile)');
      if (running.host !== '127.0.0.1' && running.host !== 'localhost' && running.host !== '::1') {
        ctx.ui.err(
          `listening on ${running.host}: reachable from other machines (anyone with the URL can act as you)`,
        );
      }
    }
    if (options.open && !(await openBrowser(running.url)))
      ctx.ui.err('could not open a browser: open the URL yourself');
    ctx.ui.err(ctx.ui.errColors.dim('serving until Ctrl-C'));
    await untilSignal();
  } finally {
    await running.close();
  }
  return ended;
};
