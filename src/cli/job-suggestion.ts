import { lilyCommand } from './hints.js';

/**
 * For an unknown command that names a job of the project (`lily hello`, `lily run hello`), the
 * command the user probably meant: `lily jobs run hello` (with their `--dir`). Undefined when
 * the name is no job (or there is no project). Reads the job directory only.
 */
export const jobRunSuggestion = async (
  message: string,
  dirArg: string | undefined,
): Promise<string | undefined> => {
  const name = /unknown command '([^']+)'/.exec(message)?.[1];
  if (name === undefined) return undefined;
  const { LilyClient } = await import('../client/index.js');
  const client = await LilyClient.open(dirArg === undefined ? {} : { dir: dirArg });
  try {
    return (await client.jobs.exists(name)) ? lilyCommand(`jobs run ${name}`, dirArg) : undefined;
  } catch {
    return undefined;
  } finally {
    await client.close();
  }
};
