import type { Command } from 'commander';
import { type CliContext, globalOptions, type Outcome } from './context.js';
import { lilyCommand } from './hints.js';
import { processUi } from './render/ui.js';

const writeStdout = (bytes: Uint8Array): Promise<void> =>
  new Promise((resolve, reject) => process.stdout.write(bytes, (e) => (e ? reject(e) : resolve())));

/** An action implementation: positional arguments and the command's own options, then the context. */
export type ActionImpl<A extends unknown[]> = (ctx: CliContext, ...args: A) => Promise<Outcome>;

/**
 * Wraps a lazily imported implementation into a commander action. Nothing heavy is imported
 * until the command runs, so `lily --help` stays cold-fast. Opens the `LilyClient` of the
 * command (`--dir`, `--nats`; the project is found by walking up otherwise), prints the outcome
 * (`--json` or human) or the error (panel or JSON), sets `process.exitCode`, and closes the
 * client (stopping an ephemeral engine it started).
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
    const options = { json: g.json === true, debug: g.debug === true, dirArg: g.dir };
    let ctx: CliContext | undefined;
    try {
      const [impl, { LilyClient }] = await Promise.all([load(), import('../client/index.js')]);
      const client = await LilyClient.open({
        ...(g.dir !== undefined ? { dir: g.dir } : {}),
        ...(g.nats !== undefined ? { nats: g.nats } : {}),
        origin: 'cli',
        // On stderr, so --json output stays one document on stdout.
        notice: (message) => ui.err(ui.colors.dim(message)),
      });
      ctx = {
        json: options.json,
        debug: options.debug,
        ui,
        client,
        ...(g.dir !== undefined ? { dirArg: g.dir } : {}),
        ...(g.nats !== undefined ? { natsArg: g.nats } : {}),
        lily: (line) => lilyCommand(line, g.dir),
      };
      const outcome = await impl(ctx, ...args);
      await client.close();
      if (outcome.error !== undefined) {
        if (!ctx.json) ui.out(outcome.human(ui));
        throw outcome.error;
      }
      if (ctx.json) ui.out(outcome.jsonText ? outcome.jsonText() : JSON.stringify(outcome.data, null, 2));
      else if (outcome.bytes) await writeStdout(outcome.bytes);
      else ui.out(outcome.human(ui));
      process.exitCode = outcome.exitCode ?? 0;
    } catch (e) {
      await ctx?.client.close().catch(() => undefined);
      // Interrupted while waiting on a run: the engine was stopped under it, the exit is 130.
      if ((await import('./interrupt.js')).wasInterrupted()) return;
      const { reportError } = await import('./report-error.js');
      process.exitCode = reportError(ui, e, options);
    }
  };
