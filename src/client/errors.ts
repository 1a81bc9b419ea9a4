import { isErrorCode } from '../contracts/error-codes.js';
import { LilyError } from '../contracts/errors.js';
import type { ProjectLocation } from '../project/find.js';

/**
 * `project_not_initialized` for a location where no project was found. The hint never makes a
 * nested project: it names the repository root when there is one, the enclosing project when
 * `--dir` pointed inside one, and otherwise asks for the project's root directory.
 */
export const projectMissing = (at: ProjectLocation): LilyError => {
  const where = at.explicit ? `in ${at.dir}` : `in ${at.dir} or any parent directory`;
  const hint =
    at.enclosingProject !== undefined
      ? `the project is ${at.enclosingProject}: \`lily --dir ${at.enclosingProject} ...\``
      : at.explicit
        ? `\`lily init --dir ${at.dir}\` creates one there`
        : at.repositoryRoot !== undefined
          ? `\`lily init --dir ${at.repositoryRoot}\` creates one at the repository root`
          : "run `lily init` in the project's root directory, or pass --dir <project>";
  return new LilyError('project_not_initialized', `no .lily/ directory ${where}`, {
    dir: at.dir,
    searched: at.explicit ? 'this directory (--dir)' : 'this directory and its parents',
    hint,
  });
};

/** `bus_unavailable` for an operation that needs a running engine and found none. */
export const noEngine = (what: string): LilyError =>
  new LilyError(
    'bus_unavailable',
    `${what} needs a running engine: start one with \`lily up\`, or pass --nats <url> / set LILY_NATS_URL`,
    { hint: 'lily up' },
  );

/** The error an actor sent back in a reply, as a LilyError (unknown codes become `internal_error`). */
export const replyError = (error: {
  code: string;
  message: string;
  data: Record<string, unknown>;
}): LilyError =>
  new LilyError(isErrorCode(error.code) ? error.code : 'internal_error', error.message, error.data);

/** `usage_invalid` with the option or argument it is about. */
export const invalidArgument = (message: string, data: Record<string, unknown>): LilyError =>
  new LilyError('usage_invalid', message, { reason: 'invalidArgument', ...data });
