import type { CliContext, Outcome } from '../context.js';
import { renderFields } from '../render/table.js';

/**
 * `lily creds issue <role> --out FILE [--name N] [--expires D] [--executor E]... [--force]`.
 * JSON: `{file, role, namespace, user, name, expiresAt, executors, permissions, url}`.
 */
export const issueCreds = async (
  ctx: CliContext,
  role: string,
  options: { out: string; name?: string; expires?: string; executor?: string[]; force?: boolean },
): Promise<Outcome> => {
  const issued = await ctx.client.deployment.issueCredential({
    role,
    out: options.out,
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.expires === undefined ? {} : { expires: options.expires }),
    ...(options.executor === undefined ? {} : { executors: options.executor }),
    force: options.force === true,
  });
  return {
    data: issued,
    human: ({ colors: c }) =>
      [
        renderFields(c, [
          ['file', `${issued.file} (0600: it holds a secret seed)`],
          ['role', issued.role],
          ['namespace', issued.namespace],
          ['user', `${issued.name} (${issued.user})`],
          ['expires', issued.expiresAt === undefined ? 'never' : new Date(issued.expiresAt).toISOString()],
          ...(issued.executors ? ([['executors', issued.executors.join(', ')]] as [string, string][]) : []),
        ]),
        issued.role === 'worker'
          ? c.dim(
              `run it: lily worker --nats ${issued.url ?? '<url>'} --creds ${issued.file} --dir <its directory>`,
            )
          : '',
      ]
        .filter(Boolean)
        .join('\n'),
  };
};
