import type { Command } from 'commander';
import { type CliContext, globalOptions, type Outcome } from './context.js';
import { processUi } from './render/ui.js';

const writeStdout = (bytes: Uint8Array): Promise<void> =>
  new Promise((resolve, reject) => process.stdout.write(bytes, (e) => (e ? reject(e) : resolve())));

/** An action implementation: positional arguments and the command's own options, then the context. */
export type ActionImpl<A extends unknown[]> = (ctx: CliContext, ...args: A) => Promise<Outcome>;

/**
 * Wraps a lazily imported implementation into a commander action. Nothing heavy is imported
 * until the command runs, so `lily --help` stays cold-fast. Prints the outcome (`--json` or
 * human), or the error (panel or JSON), and sets `process.exitCode`.
 *
 * @example
 * cmd.action(lazy(async () => (await import('../actions/jobs.js')).listJobs));
 */
export const lazy =
  <A extends unknown[]>(load: () => Promise<ActionImpl<A>>) =>
  async (...raw: unknown[]): Promise<void> => {
    const command = raw[raw.length - 1] as Command;
    const args = raw.slice(0, -1) as A;
    const g = globalOptions(command);
    const ui = processUi({ color: g.color !== false });
    const ctx: CliContext = {
      dir: g.dir ?? process.cwd(),
      json: g.json === true,
      debug: g.debug === true,
      ui,
      ...(g.nats ? { nats: g.nats } : {}),
    };
    try {
      const impl = await load();
      const outcome = await impl(ctx, ...args);
      if (ctx.json) ui.out(outcome.jsonText ? outcome.jsonText() : JSON.stringify(outcome.data, null, 2));
      else if (outcome.bytes) await writeStdout(outcome.bytes);
      else ui.out(outcome.human(ui));
      process.exitCode = outcome.exitCode ?? 0;
    } catch (e) {
      const { reportError } = await import('./report-error.js');
      process.exitCode = reportError(ui, e, ctx);
    }
  };
