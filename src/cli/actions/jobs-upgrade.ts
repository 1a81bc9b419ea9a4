import type { CliContext, Outcome } from '../context.js';
import type { Colors } from '../render/ui.js';
import { unifiedDiff } from '../render/unified-diff.js';

const colorDiff = (c: Colors, diff: string): string =>
  diff
    .split('\n')
    .map((l) =>
      l.startsWith('+') && !l.startsWith('+++')
        ? c.green(l)
        : l.startsWith('-') && !l.startsWith('---')
          ? c.red(l)
          : l.startsWith('@@')
            ? c.cyan(l)
            : l,
    )
    .join('\n');

/**
 * `lily jobs upgrade <id> [--yes]`: rewrites a job spec from a deprecated job kind (or an older
 * pinned blueprint version) to the current one. Prints the unified diff first; writes the file
 * only with `--yes`. JSON `{job, file, changed, from, to, diff, written}`. Throws what the
 * client's `jobs.upgrade` throws (`job_bindings_invalid`, `job_upgrade_ambiguous`, ...).
 */
export const upgradeJob = async (ctx: CliContext, id: string, opts: { yes?: boolean }): Promise<Outcome> => {
  const u = await ctx.client.jobs.upgrade(id, { write: opts.yes === true });
  const base = { job: u.job, file: u.file, from: u.from };
  if (!u.changed) {
    return {
      data: { ...base, changed: false, to: u.to, diff: '', written: false },
      human: ({ colors: c }) =>
        `${c.bold(id)} is current: ${u.from.id}@${u.from.version}${u.from.kind ? ` (${u.from.kind})` : ''}`,
    };
  }
  const diff = unifiedDiff(u.before, u.after, {
    from: `${u.relativeFile} (${u.from.id})`,
    to: `${u.relativeFile} (${u.to.id})`,
  });
  return {
    data: { ...base, changed: true, to: u.to, diff, written: u.written },
    human: ({ colors: c }) =>
      [
        colorDiff(c, diff),
        '',
        u.written
          ? c.green(`upgraded ${id}: ${u.from.id}@${u.from.version} -> ${u.to.id}@${u.to.version}`)
          : c.dim(`not written: ${ctx.lily(`jobs upgrade ${id} --yes`)} writes this change`),
      ].join('\n'),
  };
};
