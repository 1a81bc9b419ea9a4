import type { EventData } from '../../contracts/events/catalog.js';
import { type PolicyRequest, requestPrograms } from '../../policy/decide.js';
import type { ResolveProgram } from '../../policy/programs.js';
import { errorInfo } from '../error-info.js';
import type { Logger } from '../logger.js';
import { executableIdentity } from './executables.js';

export type DecidedProgram = NonNullable<EventData<'policy.decided'>['programs']>[number];

/**
 * What an allowed step and its gates run, as `policy.decided` records it: argv[0], the real
 * path it resolved to and the sha256 of that file (omitted, with a warn log, when the file
 * cannot be read: the worker resolves and checks it again before it starts it).
 */
export const decidedPrograms = async (
  request: PolicyRequest,
  resolve: ResolveProgram,
  log: Logger,
): Promise<DecidedProgram[]> =>
  Promise.all(
    requestPrograms(request, resolve).map(async ({ gateId, resolved }): Promise<DecidedProgram> => {
      const entry = {
        ...(gateId !== undefined ? { gateId } : {}),
        program: resolved.program,
        path: resolved.realPath,
      };
      try {
        return { ...entry, sha256: (await executableIdentity(resolved)).sha256 };
      } catch (e) {
        log.warn(
          { event: 'policy.program_unreadable', path: resolved.realPath, error: errorInfo(e) },
          'cannot hash an allowed program; its decision names its path only',
        );
        return entry;
      }
    }),
  );
